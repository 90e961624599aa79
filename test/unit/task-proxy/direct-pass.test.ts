import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createUpstream } from '../../../src/proxy/forward.ts'
import { directPassThrough, passesDirectly, rawTarget } from '../../../src/task-proxy/direct-pass.ts'
import { createTaskProxyApp } from '../../../src/task-proxy/index.ts'
import { staticTenants } from '../../../src/task-proxy/tenant-registry.ts'

interface Seen {
  url: string
  method: string
  headers: Record<string, string>
}

type Engine = (seen: Seen, signal: AbortSignal | undefined) => Promise<Response>

/** The task proxy app over a fake Conductor; every log line and engine call is kept. */
function harness(engine: Engine, env: Record<string, string> = {}) {
  const seen: Seen[] = []
  const lines: Array<Record<string, unknown>> = []
  // The whole API passes (the original's behaviour): these tests are about how it passes.
  const { config } = resolveConfig({
    env: { FLOWGATE_LOG_ACCESS: 'true', FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all', ...env },
  })
  const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const entry = {
      url: String(input),
      method: init?.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init?.headers)),
    }
    seen.push(entry)
    return engine(entry, init?.signal ?? undefined)
  }) as typeof fetch
  const proxy = createTaskProxyApp({
    config,
    logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }),
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    registry: staticTenants(['acme']),
    fetch: fakeFetch,
  })
  return { app: proxy.app, seen, lines, metrics: () => proxy.metrics.render() }
}

const answer: Engine = async () =>
  new Response('{"GLOBAL___notify":3}', {
    status: 200,
    headers: {
      'content-type': 'application/json',
      'content-length': '21',
      etag: '"7"',
      'set-cookie': 'engine=1',
      server: 'Jetty',
      connection: 'keep-alive',
    },
  })

const CLIENT = {
  accept: 'application/json',
  authorization: 'Bearer worker-secret',
  cookie: 'session=1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  'x-request-id': 'worker-req-1',
  'x-tenant-id': 'globex',
  host: 'proxy.example:8089',
}

/** The same request served by the direct path (a plain path) and by hono (a `%`-encoded one). */
async function sideBySide(engine: Engine, env: Record<string, string> = {}) {
  const { app, seen, lines, metrics } = harness(engine, env)
  const direct = await app.request('http://proxy.example:8089/api/tasks/queue/sizes?taskType=x', {
    headers: CLIENT,
  })
  const routed = await app.request('http://proxy.example:8089/api/tasks/queue/size%73?taskType=x', {
    headers: CLIENT,
  })
  return { direct, routed, seen, lines, metrics }
}

const headersOf = (response: Response) => Object.fromEntries(response.headers)
const withoutPath = (line: Record<string, unknown> | undefined) => {
  const { time: _time, path: _path, ms: _ms, ...rest } = line ?? {}
  return rest
}

describe('the direct pass-through', () => {
  it.each([
    ['GET', '/api/tasks/queue/sizes?taskType=a', true],
    ['GET', '/api/metadata/taskdefs', true],
    ['POST', '/api/tasks', false],
    ['HEAD', '/api/tasks/queue/sizes', false],
    ['PUT', '/api/tasks/queue/sizes', false],
    ['GET', '/api/tasks/poll/batch/x?count=2', false],
    ['GET', '/api/tasks/poll/x', false],
    ['GET', '/api/tasks/poll', false],
    ['GET', '/api/tasks/%70oll/x', false],
    ['GET', '/api//tasks/poll/x', false],
    ['GET', '/api', false],
    ['GET', '/healthz', false],
    ['GET', '/metrics', false],
    ['GET', '/api/tasks/queue/sizes?taskType=a%2Cb', false],
    ['GET', '/api/tasks/queue/sizes#x', false],
    ['GET', '/api/tasks/queue/sizes?taskType=a,b&x=(y)!*~:@', true],
  ])('%s %s is served directly: %s', (method, path, expected) => {
    const { config } = resolveConfig({ env: { FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all' } })
    const direct = directPassThrough({
      config,
      logger: createLogger({ level: 'silent' }),
      record: () => {},
      upstream: upstreamOf(config),
    })
    expect(direct.accepts(new Request(`http://proxy.test${path}`, { method }))).toBe(expected)
  })

  it.each([
    ['GET', '/api/tasks/externalstoragelocation?path=p&operation=READ&payloadType=TASK_INPUT', true],
    ['GET', '/api/tasks/queue/sizes?taskType=a', false],
    ['GET', '/api/metadata/taskdefs', false],
    ['GET', '/api/admin/config', false],
    ['GET', '/api/workflow/1b2c', false],
    ['GET', '/api/tasks/1b2c', false],
  ])('with pass_through = "worker", %s %s is served directly: %s', (method, path, expected) => {
    const { config } = resolveConfig({})
    const direct = directPassThrough({
      config,
      logger: createLogger({ level: 'silent' }),
      record: () => {},
      upstream: upstreamOf(config),
    })
    expect(direct.accepts(new Request(`http://proxy.test${path}`, { method }))).toBe(expected)
    expect(direct.passes(method, `http://proxy.test${path}`)).toBe(expected)
  })

  it('leaves to the app a URL that a runtime hands on raw or relative', () => {
    // Bun keeps a `#` and bytes outside ASCII in request.url, and makes it relative for an odd Host.
    for (const url of [
      'http://h:1/api/x#frag?y=1',
      'http://h:1/api/x?y=\u00e9',
      'http://h:1/api/x?y=a b',
      '/api/tasks/queue/sizes',
      'http://h#x/api/tasks/queue/sizes',
      'http://user@h/api/tasks/queue/sizes',
      'ftp://h/api/tasks/queue/sizes',
    ]) {
      expect([url, passesDirectly('GET', url, 'all')]).toEqual([url, false])
    }
    expect(passesDirectly('GET', 'http://[::1]:8089/api/tasks/queue/sizes?taskType=x', 'all')).toBe(true)
  })

  it('takes the path and query exactly as sent', () => {
    expect(rawTarget('http://h:1/api/a%2Fb?x=a+b%20c&z')).toEqual({
      path: '/api/a%2Fb',
      query: 'x=a+b%20c&z',
    })
    expect(rawTarget('http://h:1/api/a')).toEqual({ path: '/api/a', query: '' })
  })

  it('answers as the routed pass-through does: status, body, headers, request id', async () => {
    const { direct, routed, seen } = await sideBySide(answer)
    expect(direct.status).toBe(200)
    expect(await direct.text()).toBe('{"GLOBAL___notify":3}')
    expect(await routed.text()).toBe('{"GLOBAL___notify":3}')
    expect(headersOf(direct)).toEqual({
      'content-type': 'application/json',
      'content-length': '21',
      etag: '"7"',
      'x-request-id': 'worker-req-1',
    })
    expect(headersOf(direct)).toEqual(headersOf(routed))
    expect(seen.map((call) => call.url)).toEqual([
      'http://127.0.0.1:8080/api/tasks/queue/sizes?taskType=x',
      'http://127.0.0.1:8080/api/tasks/queue/size%73?taskType=x',
    ])
    // What reaches Conductor: the allow-listed headers, never the worker's credentials.
    expect(seen[0]?.headers).toEqual({
      accept: 'application/json',
      traceparent: CLIENT.traceparent,
      'x-request-id': 'worker-req-1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'proxy.example:8089',
    })
    expect(seen[1]?.headers).toEqual(seen[0]?.headers)
  })

  it('gives a request without a usable id a new one, sent both ways', async () => {
    const { app, seen } = harness(answer)
    const response = await app.request('/api/tasks/queue/sizes', { headers: { 'x-request-id': 'bad id\n' } })
    const id = response.headers.get('x-request-id')
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(seen[0]?.headers['x-request-id']).toBe(id)
  })

  it('counts and logs its requests under the route pattern, as the middleware does', async () => {
    const { lines, metrics } = await sideBySide(answer)
    expect(await metrics()).toContain(
      'flowgate_http_requests_total{method="GET",route="/api/*",status="200"} 2'
    )
    const access = lines.filter((line) => line.msg === 'request')
    expect(access).toHaveLength(2)
    expect(access[0]).toMatchObject({
      level: 'info',
      listener: 'task-proxy',
      requestId: 'worker-req-1',
      method: 'GET',
      route: '/api/*',
      path: '/api/tasks/queue/sizes',
      status: 200,
    })
    expect(withoutPath(access[0])).toEqual(withoutPath(access[1]))
  })

  it('writes no access line when the access log is off', async () => {
    const { lines } = await sideBySide(answer, { FLOWGATE_LOG_ACCESS: 'false' })
    expect(lines.filter((line) => line.msg === 'request')).toEqual([])
  })

  it('answers an unreachable engine with the same 502 problem and warning', async () => {
    const { direct, routed, lines } = await sideBySide(async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })
    })
    expect(direct.status).toBe(502)
    expect(direct.headers.get('content-type')).toBe('application/problem+json')
    expect(direct.headers.get('x-request-id')).toBe('worker-req-1')
    const problem = await direct.json()
    expect(problem).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE', requestId: 'worker-req-1' })
    expect(await routed.json()).toEqual(problem)
    const warnings = lines.filter((line) => line.msg === 'engine call failed')
    expect(warnings).toHaveLength(2)
    expect(warnings[0]).toMatchObject({ level: 'warn', listener: 'task-proxy', requestId: 'worker-req-1' })
    expect(withoutPath(warnings[0])).toEqual(withoutPath(warnings[1]))
  })

  it('answers an engine past its deadline with 504 and stops waiting', async () => {
    const hang: Engine = (_seen, signal) =>
      new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))
    const { direct, routed } = await sideBySide(hang, { FLOWGATE_CONDUCTOR_TIMEOUT_MS: '50' })
    expect(direct.status).toBe(504)
    expect((await direct.json()).code).toBe('FG_ERR_UPSTREAM_TIMEOUT')
    expect(routed.status).toBe(504)
  })

  it('cancels the engine call when the worker goes away and records 499', async () => {
    const signals: Array<AbortSignal | undefined> = []
    const { app, lines, metrics } = harness((_seen, signal) => {
      signals.push(signal)
      return new Promise((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason)))
    })
    const worker = new AbortController()
    const pending = Promise.resolve(
      app.request('/api/tasks/queue/sizes', { headers: CLIENT, signal: worker.signal })
    )
    await new Promise((resolve) => setTimeout(resolve, 20))
    worker.abort()
    const response = await pending
    expect(response.status).toBe(499)
    expect(signals[0]?.aborted).toBe(true)
    expect(lines.filter((line) => line.level === 'error' || line.level === 'warn')).toEqual([])
    expect(await metrics()).toContain('route="/api/*",status="499"} 1')
  })
})

function upstreamOf(config: { conductor: { url: string; timeout_ms: number } }) {
  return createUpstream({ baseUrl: config.conductor.url, timeoutMs: config.conductor.timeout_ms })
}
