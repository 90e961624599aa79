/**
 * @module The portable conformance cases: the HTTP surface every runtime must serve alike. Plain
 * async functions with node:assert/strict, registered by a small shim per runtime.
 */
import assert from 'node:assert/strict'
import type { FlowgateApp } from '../../src/app.ts'
import { resolveConfig } from '../../src/config/resolve.ts'
import type { RuntimeKey } from '../../src/env.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { createMainApp } from '../../src/portable.ts'
import { detectCapabilities } from '../../src/runtime/capabilities.ts'
import { createTaskProxyApp } from '../../src/task-proxy/index.ts'
import { lazyTenants } from '../../src/task-proxy/tenant-registry.ts'

export interface ConformanceContext {
  /** The runtime the shim believes it runs on; a case checks it really does. */
  runtime: RuntimeKey
}

export type ConformanceCase = [name: string, run: (ctx: ConformanceContext) => Promise<void>]

const BODY_LIMIT = 1024

function build(env: Record<string, string> = {}): FlowgateApp {
  const { config } = resolveConfig({
    env: { FLOWGATE_SERVER_BODY_LIMIT: String(BODY_LIMIT), FLOWGATE_LOG_LEVEL: 'silent', ...env },
  })
  const flowgate = createMainApp({
    config,
    logger: createLogger({ level: 'silent' }),
    capabilities: detectCapabilities(),
  })
  flowgate.app.post('/__echo', async (c) => c.text(await c.req.text()))
  return flowgate
}

async function problem(response: Response): Promise<Record<string, unknown>> {
  assert.equal(response.headers.get('content-type'), 'application/problem+json')
  return (await response.json()) as Record<string, unknown>
}

function chunked(bytes: number, chunk = 256): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close()
      const size = Math.min(chunk, bytes - sent)
      controller.enqueue(new Uint8Array(size).fill(120))
      sent += size
    },
  })
}

/** A task proxy over an in-process Conductor holding `perDomain` tasks in each tenant's queue. */
function taskProxyOver(
  perDomain: number,
  engineDown = false
): { app: FlowgateApp['app']; domains: string[]; calls: string[] } {
  const queues = new Map<string, number>([
    ['acme', perDomain],
    ['globex', perDomain],
  ])
  const domains: string[] = []
  const calls: string[] = []
  const fakeFetch = (async (input: RequestInfo | URL) => {
    const url = new URL(String(input))
    calls.push(url.pathname)
    if (engineDown) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })
    const domain = url.searchParams.get('domain') ?? ''
    domains.push(domain)
    const taken = Math.min(queues.get(domain) ?? 0, Number(url.searchParams.get('count')))
    queues.set(domain, (queues.get(domain) ?? 0) - taken)
    return Response.json(Array.from({ length: taken }, () => ({ domain })))
  }) as typeof fetch
  const { config } = resolveConfig({ env: { FLOWGATE_LOG_LEVEL: 'silent' } })
  const logger = createLogger({ level: 'silent' })
  // Loaded on demand, as the Workers entry does: no timers between requests there.
  const registry = lazyTenants({
    load: async () => ['globex', 'acme'],
    refreshMs: 60_000,
    retryMs: 1_000,
    logger,
  })
  const proxy = createTaskProxyApp({
    config,
    logger,
    capabilities: detectCapabilities(),
    registry,
    fetch: fakeFetch,
  })
  return { app: proxy.app, domains, calls }
}

export const cases: ConformanceCase[] = [
  [
    'runs on the runtime the shim names',
    async ({ runtime }) => {
      assert.equal(detectCapabilities().runtime, runtime)
      const response = await build().app.request('/healthz')
      assert.equal(((await response.json()) as { runtime: string }).runtime, runtime)
    },
  ],
  [
    'answers /healthz with 200 and a request id',
    async () => {
      const response = await build().app.request('/healthz')
      assert.equal(response.status, 200)
      assert.deepEqual(((await response.json()) as { status: string }).status, 'ok')
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    },
  ],
  [
    'reuses a well-formed inbound x-request-id',
    async () => {
      const response = await build().app.request('/healthz', { headers: { 'x-request-id': 'abc-123_X=' } })
      assert.equal(response.headers.get('x-request-id'), 'abc-123_X=')
    },
  ],
  [
    'replaces a malformed or oversized x-request-id',
    async () => {
      const app = build().app
      for (const bad of ['has space', 'line\tbreak', 'semi;colon', 'x'.repeat(201)]) {
        const response = await app.request('/healthz', { headers: { 'x-request-id': bad } })
        const id = response.headers.get('x-request-id')
        assert.notEqual(id, bad)
        assert.match(id ?? '', /^[0-9a-f-]{36}$/)
      }
    },
  ],
  [
    'answers an unknown route with 404 problem+json carrying code and requestId',
    async () => {
      const response = await build().app.request('/no/such/route')
      assert.equal(response.status, 404)
      const body = await problem(response)
      assert.equal(body.code, 'FG_ERR_HTTP_NOT_FOUND')
      assert.equal(body.status, 404)
      assert.equal(body.requestId, response.headers.get('x-request-id'))
    },
  ],
  [
    'answers a wrong method with 405 and an Allow header',
    async () => {
      const response = await build().app.request('/healthz', { method: 'DELETE' })
      assert.equal(response.status, 405)
      assert.equal(response.headers.get('allow'), 'GET, HEAD')
      assert.equal((await problem(response)).code, 'FG_ERR_HTTP_METHOD_NOT_ALLOWED')
    },
  ],
  [
    'accepts a body at the limit',
    async () => {
      const body = 'y'.repeat(BODY_LIMIT)
      const response = await build().app.request('/__echo', { method: 'POST', body })
      assert.equal(response.status, 200)
      assert.equal((await response.text()).length, BODY_LIMIT)
    },
  ],
  [
    'refuses a body over the limit by Content-Length with 413',
    async () => {
      const response = await build().app.request('/__echo', {
        method: 'POST',
        body: 'z'.repeat(BODY_LIMIT + 1),
      })
      assert.equal(response.status, 413)
      assert.equal((await problem(response)).code, 'FG_ERR_HTTP_BODY_TOO_LARGE')
    },
  ],
  [
    'refuses a chunked body over the limit without Content-Length with 413',
    async () => {
      const request = new Request('http://flowgate.test/__echo', {
        method: 'POST',
        body: chunked(BODY_LIMIT * 4),
        duplex: 'half',
      } as RequestInit)
      assert.equal(request.headers.get('content-length'), null)
      const response = await build().app.request(request)
      assert.equal(response.status, 413)
      assert.equal((await problem(response)).code, 'FG_ERR_HTTP_BODY_TOO_LARGE')
    },
  ],
  [
    'answers /readyz 200 when every check passes and 503 naming the failing ones',
    async () => {
      const flowgate = build()
      const ok = await flowgate.app.request('/readyz')
      assert.equal(ok.status, 200)
      flowgate.readiness.register('always-fine', async () => {})
      flowgate.readiness.register('engine', async () => {
        throw new Error('connection refused')
      })
      flowgate.readiness.register('slow', () => new Promise(() => {}), { timeoutMs: 50 })
      const failing = await flowgate.app.request('/readyz')
      assert.equal(failing.status, 503)
      const body = await problem(failing)
      assert.equal(body.code, 'FG_ERR_NOT_READY')
      const names = (body.errors as Array<{ where: string }>).map((error) => error.where).sort()
      assert.deepEqual(names, ['engine', 'slow'])
      assert.doesNotMatch(JSON.stringify(body), /connection refused/)
    },
  ],
  [
    'counts requests by method, route pattern and status in /metrics',
    async () => {
      const app = build().app
      await app.request('/healthz')
      await app.request('/healthz')
      await app.request('/missing-1')
      await app.request('/missing-2')
      const text = await (await app.request('/metrics')).text()
      assert.match(text, /flowgate_http_requests_total\{method="GET",route="\/healthz",status="200"\} 2/)
      assert.match(text, /flowgate_http_requests_total\{method="GET",route="\(unmatched\)",status="404"\} 2/)
      assert.match(text, /flowgate_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"\} 2/)
    },
  ],
  [
    'serves /openapi.json listing the operational routes',
    async () => {
      const response = await build().app.request('/openapi.json')
      assert.equal(response.status, 200)
      const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> }
      assert.equal(document.openapi, '3.1.0')
      for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs']) {
        assert.ok(path in document.paths, `${path} is documented`)
      }
    },
  ],
  [
    'fans a task-proxy batch poll over the tenants, never more than count',
    async () => {
      const { app, domains } = taskProxyOver(5)
      const ready = await app.request('/readyz')
      assert.equal(ready.status, 200)
      const response = await app.request('/api/tasks/poll/batch/GLOBAL___notify?count=3&timeout=0')
      assert.equal(response.status, 200)
      const tasks = (await response.json()) as Array<{ domain: string }>
      assert.equal(tasks.length, 3)
      assert.deepEqual(new Set(tasks.map((task) => task.domain)), new Set(['acme', 'globex']))
      assert.deepEqual(new Set(domains), new Set(['acme', 'globex']))
    },
  ],
  [
    'refuses on the task proxy the calls workers do not make, without asking Conductor',
    async () => {
      const { app, calls } = taskProxyOver(5)
      for (const [method, path] of [
        ['GET', '/api/admin/config'],
        ['GET', '/api/metadata/workflow'],
        ['PUT', '/api/workflow/1b2c/pause'],
        ['GET', '/api/tasks/queue/all'],
        ['GET', '/api/tasks/poll/batch/x%2F..%2F..%2Fadmin%2Fconfig'],
      ] as const) {
        const response = await app.request(`http://proxy.test${path}`, { method })
        assert.equal(response.status, 404, `${method} ${path}`)
        assert.equal(((await response.json()) as { code: string }).code, 'FG_ERR_TASK_PROXY_ROUTE_CLOSED')
      }
      assert.deepEqual(calls, [])
    },
  ],
  [
    "answers a task-proxy poll 502 when every tenant's poll fails (the engine is down)",
    async () => {
      const { app } = taskProxyOver(5, true)
      const batch = await app.request('/api/tasks/poll/batch/GLOBAL___notify?count=3&timeout=1000')
      assert.equal(batch.status, 502)
      assert.equal(((await batch.json()) as { code: string }).code, 'FG_ERR_UPSTREAM_UNAVAILABLE')
      assert.equal((await app.request('/api/tasks/poll/GLOBAL___notify')).status, 502)
    },
  ],
  [
    'reads settings from FLOWGATE_* bindings and refuses bad ones with the variable named',
    async () => {
      const { config } = resolveConfig({
        env: { FLOWGATE_SERVER_PORT: '9999', PROXY_TARGET: 'http://c:8080' },
      })
      assert.equal(config.server.port, 9999)
      assert.equal(config.conductor.url, 'http://c:8080')
      assert.throws(() => resolveConfig({ env: { FLOWGATE_SERVER_PORT: 'eighty' } }), /FLOWGATE_SERVER_PORT/)
    },
  ],
]
