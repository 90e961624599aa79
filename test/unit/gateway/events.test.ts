import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf, problemOf } from './helpers.ts'

type Handler = { name: string; event: string; actions: Array<Record<string, Record<string, unknown>>> }

describe.each(['acme', 'globex'])('event handlers of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)
  const handler = (extra: Record<string, unknown> = {}) => ({
    name: 'on_paid',
    event: 'conductor:labelled:charge',
    active: true,
    actions: [{ action: 'start_workflow', start_workflow: { name: 'private', input: { a: 1 } } }],
    ...extra,
  })

  it("lists only the tenant's handlers, de-prefixed", async () => {
    const world = buildGateway()
    const handlers = await jsonOf<Handler[]>(await call(world, admin, 'GET', '/api/event'))
    expect(handlers).toHaveLength(1)
    expect(handlers[0]).toMatchObject({
      name: 'on_done',
      event: 'conductor:labelled:charge',
      actions: [{ start_workflow: { name: 'private' } }],
    })
    expect(JSON.stringify(handlers)).not.toContain(foreign)
  })

  it.each(['POST', 'PUT'])('%s adds the handler confined to the tenant', async (method) => {
    const world = buildGateway()
    if (method === 'PUT') world.conductor.events.set(`${tenant}___on_paid`, { name: `${tenant}___on_paid` })
    const response = await call(world, admin, method, '/api/event', { body: handler() })
    expect(response.status).toBe(200)
    expect(world.conductor.calls(method, '/api/event')[0]?.body).toEqual({
      name: `${tenant}___on_paid`,
      event: `conductor:${tenant}___labelled:charge`,
      active: true,
      actions: [
        {
          action: 'start_workflow',
          start_workflow: {
            name: `${tenant}___private`,
            input: { a: 1 },
            taskToDomain: { '*': tenant },
            correlationId: admin.user,
          },
        },
      ],
    })
  })

  it.each([
    ['a kafka event', { event: 'kafka:topic' }],
    ['a conductor event with extra parts', { event: 'conductor:a:b:c' }],
    ["the other tenant's workflow in the event", { event: `conductor:${other(tenant)}___labelled:charge` }],
    [
      'a complete_task action',
      { actions: [{ action: 'complete_task', complete_task: { workflowId: 'x' } }] },
    ],
    [
      'a start_workflow with taskToDomain',
      {
        actions: [
          { action: 'start_workflow', start_workflow: { name: 'x', taskToDomain: { '*': 'globex' } } },
        ],
      },
    ],
    [
      "a start_workflow of the other tenant's workflow",
      { actions: [{ action: 'start_workflow', start_workflow: { name: `${other(tenant)}___x` } }] },
    ],
    ['a name with the separator', { name: 'a___b' }],
    ['no event', { event: undefined }],
  ])('answers 400 for %s and adds nothing', async (_, extra) => {
    const world = buildGateway()
    const response = await call(world, admin, 'POST', '/api/event', { body: handler(extra) })
    expect(response.status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it("answers Conductor's conflict as 409 FG_ERR_GATEWAY_CONFLICT, without the engine's text", async () => {
    const world = buildGateway()
    const response = await call(world, admin, 'POST', '/api/event', { body: handler({ name: 'on_done' }) })
    expect(response.status).toBe(409)
    const problem = await problemOf(response)
    expect(problem.code).toBe('FG_ERR_GATEWAY_CONFLICT')
    expect(JSON.stringify(problem)).not.toContain('EventHandler')
  })

  it("deletes only the tenant's handler", async () => {
    const world = buildGateway()
    expect((await call(world, admin, 'DELETE', '/api/event/on_done')).status).toBe(200)
    expect(world.conductor.events.has(`${tenant}___on_done`)).toBe(false)
    expect(world.conductor.events.has(`${foreign}___on_done`)).toBe(true)
  })

  it("answers 400 for the other tenant's handler name", async () => {
    const world = buildGateway()
    expect((await call(world, admin, 'DELETE', `/api/event/${foreign}___on_done`)).status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it.each([
    ['GET', '/api/event', undefined],
    ['POST', '/api/event', handler()],
    ['PUT', '/api/event', handler()],
    ['DELETE', '/api/event/on_done', undefined],
  ])('answers an operator 403 on %s %s without calling Conductor', async (method, path, body) => {
    const world = buildGateway()
    expect((await call(world, operator, method, path, { body })).status).toBe(403)
    expect(world.conductor.requests).toEqual([])
  })
})
