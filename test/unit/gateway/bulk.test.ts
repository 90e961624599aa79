import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf } from './helpers.ts'

type Bulk = { bulkSuccessfulResults: string[]; bulkErrorResults: Record<string, string> }

const OPERATIONS = [
  ['PUT', 'pause', 'PUT', 'PAUSED'],
  ['PUT', 'resume', 'PUT', 'RUNNING'],
  ['POST', 'restart', 'POST', 'RUNNING'],
  ['POST', 'retry', 'POST', 'RUNNING'],
  ['POST', 'terminate', 'POST', 'TERMINATED'],
  ['DELETE', 'terminate', 'POST', 'TERMINATED'],
] as const

describe.each(['acme', 'globex'])('bulk operations in tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)
  const theirs = execId(adminOf(foreign))

  describe.each(OPERATIONS)('%s /api/workflow/bulk/%s', (method, op, forwardedAs, status) => {
    it("forwards only the tenant's ids and reports the other tenant's as not found", async () => {
      const world = buildGateway()
      const ids = [execId(operator), theirs, 'no-such-id']
      const result = await jsonOf<Bulk>(
        await call(world, admin, method, `/api/workflow/bulk/${op}`, { body: ids })
      )
      expect(result.bulkSuccessfulResults).toEqual([execId(operator)])
      expect(result.bulkErrorResults).toEqual({ [theirs]: 'Not found', 'no-such-id': 'Not found' })
      const forwarded = world.conductor.calls(forwardedAs, `/api/workflow/bulk/${op}`)
      expect(forwarded.map((request) => request.body)).toEqual([[execId(operator)]])
      expect(world.conductor.executions.get(execId(operator))?.status).toBe(status)
      expect(world.conductor.executions.get(theirs)?.status).toBe('RUNNING')
    })

    it("lets an operator act on their own executions only, not the admin's", async () => {
      const world = buildGateway()
      const result = await jsonOf<Bulk>(
        await call(world, operator, method, `/api/workflow/bulk/${op}`, {
          body: [execId(operator), execId(admin)],
        })
      )
      expect(result.bulkSuccessfulResults).toEqual([execId(operator)])
      expect(Object.keys(result.bulkErrorResults)).toEqual([execId(admin)])
      expect(world.conductor.executions.get(execId(admin))?.status).toBe('RUNNING')
    })

    it('forwards nothing when no id is the caller’s', async () => {
      const world = buildGateway()
      const result = await jsonOf<Bulk>(
        await call(world, admin, method, `/api/workflow/bulk/${op}`, { body: [theirs] })
      )
      expect(result).toEqual({ bulkSuccessfulResults: [], bulkErrorResults: { [theirs]: 'Not found' } })
      expect(world.conductor.calls(forwardedAs, `/api/workflow/bulk/${op}`)).toEqual([])
    })
  })

  it.each([
    ['an empty array', []],
    ['an object', { ids: ['a'] }],
    ['a non-string id', [42]],
    ['a hostile id', ['../../metadata/workflow']],
    ['an id with a space', ['a b']],
    ['1001 ids', Array.from({ length: 1001 }, (_, i) => `id-${i}`)],
  ])('answers 400 for %s without calling Conductor', async (_, body) => {
    const world = buildGateway()
    expect((await call(world, admin, 'PUT', '/api/workflow/bulk/pause', { body })).status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it('checks a repeated id once', async () => {
    const world = buildGateway()
    await call(world, admin, 'PUT', '/api/workflow/bulk/pause', { body: [execId(admin), execId(admin)] })
    expect(world.conductor.calls('GET', `/api/workflow/${execId(admin)}`)).toHaveLength(1)
    expect(world.conductor.calls('PUT', '/api/workflow/bulk/pause')[0]?.body).toEqual([execId(admin)])
  })

  it('passes reason and useLatestDefinitions on, and nothing else', async () => {
    const world = buildGateway()
    await call(world, admin, 'POST', '/api/workflow/bulk/terminate?reason=cleanup&evil=1', {
      body: [execId(admin)],
    })
    const [request] = world.conductor.calls('POST', '/api/workflow/bulk/terminate')
    expect([...(request?.query ?? [])]).toEqual([['reason', 'cleanup']])
  })
})

describe("bulk answers with Conductor's errors", () => {
  it('scrubs the tenant prefix from per-id error messages', async () => {
    const world = buildGateway()
    world.conductor.override = (request) =>
      request.path === '/api/workflow/bulk/resume'
        ? new Response(
            JSON.stringify({
              bulkSuccessfulResults: [],
              bulkErrorResults: { 'acme-alice-1': 'Workflow acme___private is not paused' },
            }),
            { headers: { 'content-type': 'application/json' } }
          )
        : undefined
    const result = await jsonOf<Bulk>(
      await call(world, adminOf('acme'), 'PUT', '/api/workflow/bulk/resume', { body: ['acme-alice-1'] })
    )
    expect(result.bulkErrorResults).toEqual({ 'acme-alice-1': 'Workflow private is not paused' })
  })

  it('passes a failed bulk call through with its status, scrubbed', async () => {
    const world = buildGateway()
    world.conductor.override = (request) =>
      request.path === '/api/workflow/bulk/retry'
        ? new Response('{"status":400,"message":"Cannot retry acme___private"}', { status: 400 })
        : undefined
    const response = await call(world, adminOf('acme'), 'POST', '/api/workflow/bulk/retry', {
      body: ['acme-alice-1'],
    })
    expect(response.status).toBe(400)
    expect(await response.text()).toBe('{"status":400,"message":"Cannot retry private"}')
  })
})
