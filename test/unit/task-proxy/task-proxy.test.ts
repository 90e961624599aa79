import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createTaskProxyApp } from '../../../src/task-proxy/index.ts'
import { staticTenants, type TenantRegistry } from '../../../src/task-proxy/tenant-registry.ts'

interface Poll {
  domain: string | null
  count: number
  timeout: number
  path: string
}

/** A fake Conductor with one queue per domain; polls dequeue, as Conductor 3.x does. */
function conductor(queues: Record<string, number>, failing: string[] = []) {
  const polls: Poll[] = []
  const others: Array<{ method: string; path: string; body: string; headers: Headers }> = []
  const remaining = { ...queues }
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input))
    if (url.pathname.startsWith('/api/tasks/poll/batch/')) {
      const domain = url.searchParams.get('domain')
      const count = Number(url.searchParams.get('count'))
      polls.push({ domain, count, timeout: Number(url.searchParams.get('timeout')), path: url.pathname })
      if (domain && failing.includes(domain)) return new Response('boom', { status: 500 })
      const available = remaining[domain ?? ''] ?? 0
      const taken = Math.min(available, count)
      remaining[domain ?? ''] = available - taken
      return Response.json(
        Array.from({ length: taken }, (_, i) => ({ taskId: `${domain}-${available - i}`, domain }))
      )
    }
    const body = init?.body ? await new Response(init.body).text() : ''
    others.push({
      method: init?.method ?? 'GET',
      path: `${url.pathname}${url.search}`,
      body,
      headers: new Headers(init?.headers),
    })
    return Response.json({ echoed: true }, { status: 201 })
  }) as typeof fetch
  return { fakeFetch, polls, others, remaining }
}

function proxy(
  fakeFetch: typeof fetch,
  registry: TenantRegistry = staticTenants(['acme', 'globex', 'initech']),
  env: Record<string, string> = {}
) {
  const { config } = resolveConfig({ env: { FLOWGATE_LOG_LEVEL: 'silent', ...env } })
  return createTaskProxyApp({
    config,
    logger: createLogger({ level: 'silent' }),
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    registry,
    fetch: fakeFetch,
  }).app
}

const poll = async (app: ReturnType<typeof proxy>, query: string) => {
  const response = await app.request(`/api/tasks/poll/batch/GLOBAL___notify?${query}`)
  return { status: response.status, tasks: (await response.json()) as Array<{ domain: string }> }
}

describe('task proxy batch polls', () => {
  it("polls every tenant's domain for the unchanged task type and merges the answers", async () => {
    const engine = conductor({ acme: 5, globex: 5, initech: 5 })
    const { status, tasks } = await poll(proxy(engine.fakeFetch), 'count=6&timeout=50&workerid=w1')
    expect(status).toBe(200)
    expect(tasks).toHaveLength(6)
    expect(new Set(engine.polls.map((p) => p.domain))).toEqual(new Set(['acme', 'globex', 'initech']))
    expect(engine.polls.every((p) => p.path === '/api/tasks/poll/batch/GLOBAL___notify')).toBe(true)
  })

  it('never returns more than count, and never dequeues more than it returns', async () => {
    const engine = conductor({ acme: 50, globex: 50, initech: 50 })
    const app = proxy(engine.fakeFetch)
    for (const count of [1, 2, 3, 4, 7, 10]) {
      const { tasks } = await poll(app, `count=${count}&timeout=0`)
      expect(tasks.length).toBe(count)
    }
    const dequeued = 150 - Object.values(engine.remaining).reduce((a, b) => a + b, 0)
    expect(dequeued).toBe(1 + 2 + 3 + 4 + 7 + 10)
  })

  it('rotates the starting tenant so a busy tenant cannot starve the others', async () => {
    const engine = conductor({ acme: 1_000, globex: 1_000, initech: 1_000 })
    const app = proxy(engine.fakeFetch)
    const served = new Map<string, number>()
    for (let i = 0; i < 30; i++) {
      for (const task of (await poll(app, 'count=1&timeout=0')).tasks) {
        served.set(task.domain, (served.get(task.domain) ?? 0) + 1)
      }
    }
    expect(Object.fromEntries(served)).toEqual({ acme: 10, globex: 10, initech: 10 })
  })

  it('fills unused capacity from tenants that still have tasks, in one immediate round', async () => {
    const engine = conductor({ acme: 0, globex: 0, initech: 10 })
    const { tasks } = await poll(proxy(engine.fakeFetch), 'count=6&timeout=100')
    expect(tasks).toHaveLength(6)
    expect(tasks.every((task) => task.domain === 'initech')).toBe(true)
    const followUps = engine.polls.filter((p) => p.timeout === 0)
    expect(followUps.map((p) => p.domain)).toEqual(['initech'])
  })

  it('skips a tenant whose poll fails and still answers with the others', async () => {
    const engine = conductor({ acme: 5, globex: 5, initech: 5 }, ['globex'])
    const { status, tasks } = await poll(proxy(engine.fakeFetch), 'count=3&timeout=0')
    expect(status).toBe(200)
    expect(tasks.some((task) => task.domain === 'globex')).toBe(false)
    expect(tasks.length).toBeGreaterThan(0)
  })

  it.each(['count=0', 'count=1001', 'count=abc', 'timeout=-1', 'timeout=60001'])(
    'refuses %s with 400',
    async (query) => {
      const engine = conductor({ acme: 5 })
      const response = await proxy(engine.fakeFetch).request(`/api/tasks/poll/batch/x?${query}`)
      expect(response.status).toBe(400)
      expect(engine.polls).toHaveLength(0)
    }
  )

  it('answers 503 and reports not ready until the tenant list is loaded', async () => {
    const engine = conductor({ acme: 5 })
    const notLoaded: TenantRegistry = {
      tenants: () => {
        throw new Error('not loaded')
      },
      ready: () => false,
      stop: () => {},
    }
    const app = proxy(engine.fakeFetch, notLoaded)
    expect((await app.request('/api/tasks/poll/batch/x?count=1')).status).toBe(503)
    const ready = await app.request('/readyz')
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { errors: Array<{ where: string }> }).errors[0]?.where).toBe('tenants')
  })
})

describe('task proxy single polls and pass-through', () => {
  it('answers the first task found, trying tenants in rotated order, or 204', async () => {
    const engine = conductor({ acme: 0, globex: 1, initech: 0 })
    const app = proxy(engine.fakeFetch)
    const first = await app.request('/api/tasks/poll/GLOBAL___notify?workerid=w')
    expect(first.status).toBe(200)
    expect(((await first.json()) as { domain: string }).domain).toBe('globex')
    const empty = await app.request('/api/tasks/poll/GLOBAL___notify')
    expect(empty.status).toBe(204)
  })

  it('passes any other call through unchanged, body and status included, without client credentials', async () => {
    const engine = conductor({})
    const response = await proxy(engine.fakeFetch).request('/api/tasks?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer secret', cookie: 'a=b' },
      body: JSON.stringify({ taskId: 't1', status: 'COMPLETED' }),
    })
    expect(response.status).toBe(201)
    expect(engine.others).toHaveLength(1)
    const call = engine.others[0]
    expect(call?.method).toBe('POST')
    expect(call?.path).toBe('/api/tasks?x=1')
    expect(JSON.parse(call?.body ?? '{}')).toEqual({ taskId: 't1', status: 'COMPLETED' })
    expect(call?.headers.get('authorization')).toBeNull()
    expect(call?.headers.get('cookie')).toBeNull()
    expect(call?.headers.get('x-request-id')).toMatch(/.+/)
  })

  it('passes the path and query exactly as the worker encoded them (no decoding, no re-encoding)', async () => {
    const engine = conductor({})
    const target = '/api/tasks/queue/sizes/GLOBAL___a%2Fb?taskType=GLOBAL___x&x=a+b%20c&y=%2F&z'
    const all = { FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all' }
    const response = await proxy(engine.fakeFetch, undefined, all).request(target)
    expect(response.status).toBe(201)
    expect(response.headers.get('x-request-id')).toMatch(/.+/)
    expect(engine.others.map((call) => call.path)).toEqual([target])
  })

  it('answers 404 for paths outside /api without calling Conductor', async () => {
    const engine = conductor({})
    expect((await proxy(engine.fakeFetch).request('/admin')).status).toBe(404)
    expect(engine.others).toHaveLength(0)
  })
})

/** A port nothing listens on (bound, then closed), and a way to serve a fake Conductor there later. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The task proxy over the real fetch to `url`, keeping its log lines. */
function loggedProxy(url: string, tenants = ['acme', 'globex', 'initech']) {
  const lines: Array<Record<string, unknown>> = []
  const { config } = resolveConfig({ env: { FLOWGATE_CONDUCTOR_URL: url, FLOWGATE_LOG_ACCESS: 'false' } })
  const app = createTaskProxyApp({
    config,
    logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }),
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    registry: staticTenants(tenants),
  }).app
  const said = (level: string) => lines.filter((line) => line.level === level)
  return { app, lines, said }
}

describe('task proxy polls while the engine is down', () => {
  it('answers 502 to batch and single polls at once, and logs the outage once, without a stack', async () => {
    const port = await closedPort()
    const { app, lines, said } = loggedProxy(`http://127.0.0.1:${port}`)
    for (let i = 0; i < 4; i++) {
      const batch = await app.request('/api/tasks/poll/batch/GLOBAL___notify?count=5&timeout=2000')
      expect(batch.status).toBe(502)
      expect(batch.headers.get('content-type')).toBe('application/problem+json')
      expect(((await batch.json()) as { code: string }).code).toBe('FG_ERR_UPSTREAM_UNAVAILABLE')
      const single = await app.request('/api/tasks/poll/GLOBAL___notify?workerid=w')
      expect(single.status).toBe(502)
    }
    expect(said('warn')).toHaveLength(1)
    expect(said('warn')[0]).toMatchObject({ taskType: 'GLOBAL___notify', tenants: 3 })
    expect(said('error')).toEqual([])
    expect(JSON.stringify(lines)).not.toMatch(/stack|\s+at\s/)
    expect(JSON.stringify(said('warn')[0])).toContain('ECONNREFUSED')
  })

  it('says once when polls succeed again, and answers the tasks', async () => {
    const port = await closedPort()
    const { app, said } = loggedProxy(`http://127.0.0.1:${port}`)
    expect((await app.request('/api/tasks/poll/batch/T?count=1&timeout=0')).status).toBe(502)
    const engine = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[]')
    })
    await new Promise<void>((resolve) => engine.listen(port, '127.0.0.1', resolve))
    try {
      for (let i = 0; i < 3; i++) {
        const back = await app.request('/api/tasks/poll/batch/T?count=1&timeout=0')
        expect([back.status, await back.json()]).toEqual([200, []])
      }
      expect(said('info').map((line) => line.msg)).toEqual(['task polls succeed again'])
      expect(said('warn')).toHaveLength(1)
    } finally {
      engine.closeAllConnections()
      await new Promise((resolve) => engine.close(resolve))
    }
  })

  it('still answers 200 with the others while one tenant fails, warning once for that tenant', async () => {
    const engine = conductor({ acme: 50, globex: 50, initech: 50 }, ['globex'])
    const lines: Array<Record<string, unknown>> = []
    const { config } = resolveConfig({})
    const app = createTaskProxyApp({
      config,
      logger: createLogger({ level: 'info', sink: (line) => lines.push(JSON.parse(line)) }),
      capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
      registry: staticTenants(['acme', 'globex', 'initech']),
      fetch: engine.fakeFetch,
    }).app
    for (let i = 0; i < 5; i++) {
      const response = await app.request('/api/tasks/poll/batch/T?count=3&timeout=0')
      expect(response.status).toBe(200)
    }
    const warnings = lines.filter((line) => line.level === 'warn')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatchObject({
      msg: 'tenant poll failed; skipped until it answers',
      tenant: 'globex',
    })
    expect(JSON.stringify(warnings)).not.toContain('stack')
  })

  it('answers 200 [] when there is no tenant at all (nothing failed)', async () => {
    const port = await closedPort()
    const { app, said } = loggedProxy(`http://127.0.0.1:${port}`, [])
    const response = await app.request('/api/tasks/poll/batch/T?count=1&timeout=0')
    expect([response.status, await response.json()]).toEqual([200, []])
    expect(said('warn')).toEqual([])
  })
})
