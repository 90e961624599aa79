import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { errorHandler } from '../../../src/middleware/errors.ts'
import { requestId } from '../../../src/middleware/request-id.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createUpstream, responseHeaders, type UpstreamCall } from '../../../src/proxy/forward.ts'
import { problemOf } from '../app-harness.ts'

interface Seen {
  url: string
  method: string
  headers: Headers
  body: string
  signal: AbortSignal | undefined
}

type Behaviour = (seen: Seen) => Promise<Response>

function harness(behaviour: Behaviour, call: UpstreamCall, timeoutMs = 1_000) {
  const seen: Seen[] = []
  const logged: Array<{ level: string; line: string }> = []
  const upstream = createUpstream({
    baseUrl: 'http://engine.test:8080/',
    timeoutMs,
    fetch: async (input, init) => {
      const entry: Seen = {
        url: String(input),
        method: init?.method ?? 'GET',
        headers: new Headers(init?.headers),
        body: init?.body ? await new Response(init.body).text() : '',
        signal: init?.signal ?? undefined,
      }
      seen.push(entry)
      return behaviour(entry)
    },
  })
  const app = new Hono<AppEnv>()
  app.use(requestId())
  app.all('/call', async (c) => {
    const response = await upstream.call(c, call)
    return new Response(response.body, { status: response.status, headers: responseHeaders(response) })
  })
  app.onError(
    errorHandler(createLogger({ level: 'debug', sink: (line, level) => logged.push({ level, line }) }))
  )
  return { app, seen, logged }
}

const ok: Behaviour = async () => new Response('fine', { headers: { 'content-type': 'text/plain' } })

function hang(seen: Seen): Promise<Response> {
  return new Promise((_, reject) => {
    seen.signal?.addEventListener('abort', () => reject(seen.signal?.reason))
  })
}

describe('createUpstream', () => {
  it('joins the base URL, the path and the query', async () => {
    const { app, seen } = harness(ok, { path: '/api/x', query: new URLSearchParams({ a: '1 2' }) })
    await app.request('/call')
    expect(seen[0]?.url).toBe('http://engine.test:8080/api/x?a=1+2')
  })

  it('forwards only allow-listed client headers, never credentials or hop-by-hop ones', async () => {
    const { app, seen } = harness(ok, { path: '/api/x' })
    await app.request('/call', {
      headers: {
        authorization: 'Bearer secret-token',
        cookie: 'session=secret',
        'proxy-authorization': 'Basic x',
        connection: 'keep-alive, x-custom',
        'keep-alive': 'timeout=5',
        te: 'trailers',
        'x-tenant-id': 'globex',
        from: 'mallory',
        'x-forwarded-for': '6.6.6.6',
        'x-custom': '1',
        accept: 'application/json',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'x-request-id': 'req-42',
      },
    })
    const headers = Object.fromEntries(seen[0]?.headers ?? [])
    expect(headers).toEqual({
      accept: 'application/json',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-request-id': 'req-42',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'localhost',
    })
  })

  it('sends a JSON body with its content type and the method asked for', async () => {
    const { app, seen } = harness(ok, { method: 'PUT', path: '/api/x', json: { a: 'ä' } })
    await app.request('/call', {
      method: 'POST',
      headers: { 'content-type': 'text/evil' },
      body: 'client body',
    })
    expect(seen[0]?.method).toBe('PUT')
    expect(seen[0]?.headers.get('content-type')).toBe('application/json')
    expect(seen[0]?.body).toBe('{"a":"ä"}')
  })

  it('answers 502 FG_ERR_UPSTREAM_UNAVAILABLE when the engine cannot be reached', async () => {
    const { app } = harness(
      async () => {
        throw new TypeError('fetch failed')
      },
      { path: '/api/x' }
    )
    const response = await app.request('/call')
    expect(response.status).toBe(502)
    const problem = await problemOf(response)
    expect(problem.code).toBe('FG_ERR_UPSTREAM_UNAVAILABLE')
    expect(JSON.stringify(problem)).not.toContain('engine.test')
  })

  it('answers 504 FG_ERR_UPSTREAM_TIMEOUT when the engine misses the deadline', async () => {
    const { app } = harness(hang, { path: '/api/x' }, 30)
    const response = await app.request('/call')
    expect(response.status).toBe(504)
    expect((await problemOf(response)).code).toBe('FG_ERR_UPSTREAM_TIMEOUT')
  })

  it('lets a call override the deadline (long polls)', async () => {
    const { app } = harness(
      (seen) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve(new Response('late but in time')), 60)
          seen.signal?.addEventListener('abort', () => {
            clearTimeout(timer)
            reject(seen.signal?.reason)
          })
        }),
      { path: '/api/x', timeoutMs: 500 },
      20
    )
    const response = await app.request('/call')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('late but in time')
  })

  it('aborts the engine call when the client goes away', async () => {
    const { app, seen } = harness(hang, { path: '/api/x' }, 5_000)
    const client = new AbortController()
    const pending = Promise.resolve(app.request('/call', { signal: client.signal }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen[0]?.signal?.aborted).toBe(false)
    client.abort()
    await pending.catch(() => undefined)
    expect(seen[0]?.signal?.aborted).toBe(true)
    expect((seen[0]?.signal?.reason as Error | undefined)?.name).not.toBe('TimeoutError')
  })

  it('ends a request whose client went away with 499 and a debug line, not an internal error', async () => {
    const { app, logged } = harness(hang, { path: '/api/x' }, 5_000)
    const client = new AbortController()
    const pending = Promise.resolve(app.request('/call', { signal: client.signal }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    client.abort()
    const response = await pending
    expect(response.status).toBe(499)
    expect(logged.map((entry) => entry.level)).toEqual(['debug'])
    expect(logged[0]?.line).toContain('client closed the request')
    expect(logged[0]?.line).not.toContain('FG_ERR_INTERNAL')
  })

  it('answers 499 too when the client signal aborts with a string, as @hono/node-server does', async () => {
    const { app, logged } = harness(hang, { path: '/api/x' }, 5_000)
    const client = new AbortController()
    const pending = Promise.resolve(app.request('/call', { signal: client.signal }))
    await new Promise((resolve) => setTimeout(resolve, 20))
    client.abort('Client connection prematurely closed.')
    const response = await pending
    expect(response.status).toBe(499)
    expect(logged.map((entry) => entry.level)).toEqual(['debug'])
  })

  it('still reports an engine failure as 502 when the client is there', async () => {
    const { app, logged } = harness(
      async () => {
        throw new DOMException('engine reset', 'AbortError')
      },
      { path: '/api/x' }
    )
    const response = await app.request('/call')
    expect(response.status).toBe(502)
    expect(logged.map((entry) => entry.level)).toEqual(['warn'])
    expect(logged[0]?.line).toContain('engine call failed')
  })
})

describe('responseHeaders', () => {
  it('keeps only allow-listed engine headers', () => {
    const headers = responseHeaders(
      new Response('x', {
        headers: {
          'content-type': 'application/json',
          etag: '"1"',
          'set-cookie': 'engine=1',
          connection: 'close',
          'transfer-encoding': 'chunked',
          server: 'Jetty',
          'x-powered-by': 'Spring',
        },
      })
    )
    expect(headers).toEqual({ 'content-type': 'application/json', etag: '"1"' })
  })
})
