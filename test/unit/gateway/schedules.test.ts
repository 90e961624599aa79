import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createMainApp } from '../../../src/portable.ts'

/** A schellar stand-in with its REST contract: POST 201 / duplicate 400, GET, PUT 200/404, DELETE 200. */
function schellar() {
  const store = new Map<string, Record<string, unknown>>()
  const calls: string[] = []
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    const method = init?.method ?? 'GET'
    calls.push(`${method} ${decodeURIComponent(url.pathname)}`)
    const name = decodeURIComponent(url.pathname.replace(/^\/schedule\/?/, ''))
    const body = init?.body ? (JSON.parse(String(init.body)) as Record<string, unknown>) : undefined
    if (method === 'GET' && name === '') return Response.json([...store.values()])
    if (method === 'GET')
      return store.has(name) ? Response.json(store.get(name)) : new Response('not found', { status: 404 })
    if (method === 'POST') {
      if (store.has(String(body?.name)))
        return new Response(`schedule ${String(body?.name)} exists`, { status: 400 })
      store.set(String(body?.name), body ?? {})
      return new Response(null, { status: 201 })
    }
    if (method === 'PUT') {
      if (!store.has(name)) return new Response('not found', { status: 404 })
      store.set(name, body ?? {})
      return new Response(null, { status: 200 })
    }
    if (method === 'DELETE') {
      store.delete(name)
      return new Response(null, { status: 200 })
    }
    return new Response('unexpected', { status: 500 })
  }) as typeof fetch
  return { store, calls, fakeFetch }
}

function gateway(fakeFetch: typeof fetch, schedulerUrl: string | null = 'http://schellar:3000') {
  const { config } = resolveConfig({
    env: {
      FLOWGATE_AUTH_MODE: 'headers',
      FLOWGATE_LOG_LEVEL: 'silent',
      ...(schedulerUrl ? { SCHELLAR_TARGET: schedulerUrl } : {}),
    },
  })
  return createMainApp({
    config,
    logger: createLogger({ level: 'silent' }),
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    fetch: fakeFetch,
  }).app
}

const admin = (tenant: string) => ({
  'x-tenant-id': tenant,
  from: `boss@${tenant}`,
  'x-auth-user-groups': 'network-admin',
})
const operator = { 'x-tenant-id': 'acme', from: 'op@acme', 'x-auth-user-groups': 'OPERATOR' }
const schedule = {
  name: 'nightly:1',
  workflowName: 'nightly',
  workflowVersion: '1',
  cronString: '0 0 2 * * ?',
  enabled: true,
}
const json = (headers: Record<string, string>, body: unknown, method = 'POST') => ({
  method,
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
})

describe.each(['/proxy/schedule', '/api/schedules'])('schedules under %s', (base) => {
  it('stores a schedule prefixed, forced into the tenant domain as its author', async () => {
    const engine = schellar()
    const response = await gateway(engine.fakeFetch).request(
      base,
      json(admin('acme'), { ...schedule, correlationId: 'someone-else' })
    )
    expect(response.status).toBe(201)
    expect(engine.store.get('acme___nightly:1')).toMatchObject({
      name: 'acme___nightly:1',
      workflowName: 'acme___nightly',
      workflowVersion: '1',
      correlationId: 'boss@acme',
      taskToDomain: { '*': 'acme' },
    })
  })

  it("lists and reads only the tenant's schedules, de-prefixed", async () => {
    const engine = schellar()
    const app = gateway(engine.fakeFetch)
    await app.request(base, json(admin('acme'), schedule))
    await app.request(
      base,
      json(admin('globex'), { ...schedule, name: 'other:2', workflowName: 'other', workflowVersion: '2' })
    )
    const list = (await (await app.request(base, { headers: admin('acme') })).json()) as Array<
      Record<string, unknown>
    >
    expect(list.map((item) => item.name)).toEqual(['nightly:1'])
    expect(list[0]?.workflowName).toBe('nightly')
    expect(JSON.stringify(list)).not.toMatch(/globex|acme___/)
    const one = await app.request(`${base}/nightly:1`, { headers: admin('acme') })
    expect(((await one.json()) as { name: string }).name).toBe('nightly:1')
    const foreign = await app.request(`${base}/other:2`, { headers: admin('acme') })
    expect(foreign.status).toBe(404)
    expect(engine.calls).toContain('GET /schedule/acme___other:2')
  })

  it('updates only with matching names and deletes the prefixed schedule', async () => {
    const engine = schellar()
    const app = gateway(engine.fakeFetch)
    await app.request(base, json(admin('acme'), schedule))
    const mismatch = await app.request(`${base}/other:1`, json(admin('acme'), schedule, 'PUT'))
    expect(mismatch.status).toBe(400)
    const updated = await app.request(
      `${base}/nightly:1`,
      json(admin('acme'), { ...schedule, enabled: false }, 'PUT')
    )
    expect(updated.status).toBe(200)
    expect(engine.store.get('acme___nightly:1')?.enabled).toBe(false)
    const removed = await app.request(`${base}/nightly:1`, { method: 'DELETE', headers: admin('acme') })
    expect(removed.status).toBe(200)
    expect(engine.store.size).toBe(0)
  })

  it.each([
    [{ ...schedule, name: 'nightly' }, 'body.name'],
    [{ ...schedule, name: 'nightly:2' }, 'body.name'],
    [{ ...schedule, workflowName: 'a___b', name: 'a___b:1' }, 'body.workflowName'],
    [{ ...schedule, workflowVersion: 'latest' }, 'body.workflowVersion'],
    [{ ...schedule, taskToDomain: { '*': 'globex' } }, 'body.taskToDomain'],
  ])('refuses %j, naming %s, before calling the scheduler', async (body, where) => {
    const engine = schellar()
    const response = await gateway(engine.fakeFetch).request(base, json(admin('acme'), body))
    expect(response.status).toBe(400)
    expect(((await response.json()) as { errors: Array<{ where: string }> }).errors[0]?.where).toBe(where)
    expect(engine.calls).toEqual([])
  })

  it('is for admins only', async () => {
    const engine = schellar()
    const response = await gateway(engine.fakeFetch).request(base, { headers: operator })
    expect(response.status).toBe(403)
    expect(engine.calls).toEqual([])
  })

  it('answers 503 when no scheduler is configured', async () => {
    const engine = schellar()
    const response = await gateway(engine.fakeFetch, null).request(base, { headers: admin('acme') })
    expect(response.status).toBe(503)
    expect(((await response.json()) as { code: string }).code).toBe('FG_ERR_SCHEDULER_NOT_CONFIGURED')
  })

  it("passes the scheduler's own errors through with the prefix scrubbed", async () => {
    const engine = schellar()
    const app = gateway(engine.fakeFetch)
    await app.request(base, json(admin('acme'), schedule))
    const duplicate = await app.request(base, json(admin('acme'), schedule))
    expect(duplicate.status).toBe(400)
    expect(await duplicate.text()).toBe('schedule nightly:1 exists')
  })
})
