import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf, problemOf } from './helpers.ts'

type TaskDef = { name: string; ownerEmail?: string }

describe.each(['acme', 'globex'])('task definitions of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  it("lists the tenant's and the shared task definitions, de-prefixed, without the other tenant's", async () => {
    const world = buildGateway()
    const defs = await jsonOf<TaskDef[]>(await call(world, admin, 'GET', '/api/metadata/taskdefs'))
    expect(defs.map((def) => def.name).sort()).toEqual(['GLOBAL___notify', 'charge'])
    expect(JSON.stringify(defs)).not.toContain(foreign)
  })

  it('returns one task definition by its short name', async () => {
    const world = buildGateway()
    const def = await jsonOf<TaskDef>(await call(world, admin, 'GET', '/api/metadata/taskdefs/charge'))
    expect(def.name).toBe('charge')
    expect(world.conductor.calls('GET', `/api/metadata/taskdefs/${tenant}___charge`)).toHaveLength(1)
  })

  it('returns a shared task definition by its GLOBAL name', async () => {
    const world = buildGateway()
    const def = await jsonOf<TaskDef>(
      await call(world, admin, 'GET', '/api/metadata/taskdefs/GLOBAL___notify')
    )
    expect(def.name).toBe('GLOBAL___notify')
    expect(world.conductor.calls('GET', '/api/metadata/taskdefs/GLOBAL___notify')).toHaveLength(1)
  })

  it("answers 400 for the other tenant's full name without calling Conductor", async () => {
    const world = buildGateway()
    const response = await call(world, admin, 'GET', `/api/metadata/taskdefs/${foreign}___charge`)
    expect(response.status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it("answers 404 when Conductor returns a definition that is not the tenant's", async () => {
    const world = buildGateway()
    world.conductor.override = (request) =>
      request.path.startsWith('/api/metadata/taskdefs/')
        ? new Response(JSON.stringify({ name: `${foreign}___charge`, secret: 'theirs' }), {
            headers: { 'content-type': 'application/json' },
          })
        : undefined
    const response = await call(world, admin, 'GET', '/api/metadata/taskdefs/charge')
    expect(response.status).toBe(404)
    expect(await response.text()).not.toContain('theirs')
  })

  it('registers task definitions prefixed and owned by the admin', async () => {
    const world = buildGateway()
    const response = await call(world, admin, 'POST', '/api/metadata/taskdefs', {
      body: [{ name: 'ship', ownerEmail: 'spoof@x.test', retryCount: 2 }],
    })
    expect(response.status).toBe(200)
    expect(world.conductor.calls('POST', '/api/metadata/taskdefs')[0]?.body).toEqual([
      { name: `${tenant}___ship`, ownerEmail: admin.user, retryCount: 2 },
    ])
  })

  it.each([
    ['a GLOBAL name (shared definitions are read-only)', [{ name: 'GLOBAL___mine' }]],
    ["the other tenant's name", [{ name: `${other(tenant)}___charge` }]],
    ['an object instead of an array', { name: 'x' }],
    ['an empty array', []],
    ['an entry that is not an object', ['x']],
  ])('refuses to register %s with 400', async (_, body) => {
    const world = buildGateway()
    expect((await call(world, admin, 'POST', '/api/metadata/taskdefs', { body })).status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it('updates one task definition prefixed', async () => {
    const world = buildGateway()
    const response = await call(world, admin, 'PUT', '/api/metadata/taskdefs', {
      body: { name: 'charge', retryCount: 5 },
    })
    expect(response.status).toBe(200)
    expect(world.conductor.taskDefs.get(`${tenant}___charge`)).toEqual({
      name: `${tenant}___charge`,
      retryCount: 5,
      ownerEmail: admin.user,
    })
    expect(world.conductor.taskDefs.get(`${foreign}___charge`)?.retryCount).toBe(1)
  })

  it.each([
    ['updating', 'PUT', '/api/metadata/taskdefs', { name: 'nope' }],
    ['deleting', 'DELETE', '/api/metadata/taskdefs/nope', undefined],
    ['reading', 'GET', '/api/metadata/taskdefs/nope', undefined],
  ])(
    'answers 404 FG_ERR_GATEWAY_NOT_FOUND for %s an unknown task definition',
    async (_, method, path, body) => {
      const world = buildGateway()
      const response = await call(world, admin, method, path, body === undefined ? {} : { body })
      expect(response.status).toBe(404)
      const problem = await problemOf(response)
      expect(problem.code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
      expect(JSON.stringify(problem)).not.toMatch(/nope|___/)
    }
  )

  it('deletes only the prefixed definition', async () => {
    const world = buildGateway()
    expect((await call(world, admin, 'DELETE', '/api/metadata/taskdefs/charge')).status).toBe(200)
    expect(world.conductor.taskDefs.has(`${tenant}___charge`)).toBe(false)
    expect(world.conductor.taskDefs.has(`${foreign}___charge`)).toBe(true)
  })

  it('refuses to delete a shared GLOBAL definition', async () => {
    const world = buildGateway()
    expect((await call(world, admin, 'DELETE', '/api/metadata/taskdefs/GLOBAL___notify')).status).toBe(400)
    expect(world.conductor.taskDefs.has('GLOBAL___notify')).toBe(true)
    expect(world.conductor.requests).toEqual([])
  })

  it.each([
    ['GET', '/api/metadata/taskdefs', undefined],
    ['GET', '/api/metadata/taskdefs/charge', undefined],
    ['POST', '/api/metadata/taskdefs', [{ name: 'x' }]],
    ['PUT', '/api/metadata/taskdefs', { name: 'charge' }],
    ['DELETE', '/api/metadata/taskdefs/charge', undefined],
  ])('answers an operator 403 on %s %s without calling Conductor', async (method, path, body) => {
    const world = buildGateway()
    expect((await call(world, operator, method, path, { body })).status).toBe(403)
    expect(world.conductor.requests).toEqual([])
  })
})
