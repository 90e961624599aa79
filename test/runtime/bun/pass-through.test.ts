/**
 * The task proxy's direct pass-through on Bun (bun-pass-through.ts over bun-engine-pool.ts),
 * against real engines on loopback: a node:http one for the usual answers, raw sockets for the
 * odd ones. Each answer is compared with the one hono's route gives through Bun's fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import type { EnginePoolOptions } from '../../../src/runtime/bun/engine-pool.ts'
import { bunPassThrough } from '../../../src/runtime/bun/pass-through.ts'
import { createTaskProxyApp } from '../../../src/task-proxy/index.ts'
import { staticTenants } from '../../../src/task-proxy/tenant-registry.ts'
import {
  accessLines,
  BIG,
  CLIENT,
  encodedFirst,
  HUGE_BYTES,
  headersOf,
  PassThroughEngine,
  passThroughCount,
  rawEngine,
  waitFor,
} from '../../fixtures/pass-through-engine.ts'

const engine = new PassThroughEngine()
const seen = engine.seen

beforeAll(() => engine.start())
afterAll(() => engine.close())

/** The task proxy on Bun.serve as bun.ts serves it, its log lines, and how to stop it. */
function flowgate(env: Record<string, string> = {}, pool: Partial<EnginePoolOptions> = {}) {
  const lines: Array<Record<string, unknown>> = []
  const { config } = resolveConfig({
    env: {
      FLOWGATE_CONDUCTOR_URL: engine.url,
      FLOWGATE_TASK_PROXY_TENANTS: 'acme',
      FLOWGATE_LOG_ACCESS: 'true',
      // The whole API passes (the original's behaviour): most tests here are about how it passes.
      FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
      ...env,
    },
  })
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) })
  const app = createTaskProxyApp({
    config,
    logger,
    capabilities: { runtime: 'bun', childProcess: true, fs: true, webSocketServer: false },
    registry: staticTenants(['acme']),
  })
  const direct = bunPassThrough(app.direct, app.logger, pool)
  if (!direct) throw new Error('no Bun pass-through for an http engine')
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (request) => direct.serve(request) ?? app.app.fetch(request),
  })
  return {
    proxy: `http://127.0.0.1:${server.port}`,
    server,
    direct,
    lines,
    async close() {
      await server.stop(true)
      direct.close()
    },
  }
}

describe('the Bun pass-through', () => {
  it('answers as the app does: status, body, headers, access line, metrics; only allowed headers reach the engine', async () => {
    const { proxy, lines, close } = flowgate()
    try {
      seen.length = 0
      const direct = await fetch(`${proxy}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
      const routed = await fetch(`${proxy}/api/tasks/queue/size%73?taskType=x`, { headers: CLIENT })
      expect(direct.status).toBe(200)
      expect(await direct.text()).toBe(await routed.text())
      expect(headersOf(direct)).toEqual(headersOf(routed))
      expect(direct.headers.get('x-request-id')).toBe('worker-req-1')
      expect(direct.headers.get('set-cookie')).toBeNull()
      const [toDirect, toRouted] = seen
      expect(toDirect?.url).toBe('/api/tasks/queue/sizes?taskType=x')
      expect(toDirect?.headers).toEqual({
        host: new URL(engine.url).host,
        accept: CLIENT.accept,
        traceparent: CLIENT.traceparent,
        'x-request-id': 'worker-req-1',
        'x-forwarded-proto': 'http',
        'x-forwarded-host': new URL(proxy).host,
      })
      // Bun's fetch adds its own (user-agent, accept-encoding, connection); the rest is the same.
      const { host: _host, ...forwarded } = toDirect?.headers ?? {}
      expect(toRouted?.headers).toMatchObject(forwarded)
      const [first, second] = accessLines(lines)
      expect(first).toEqual(second)
      expect(first).toMatchObject({ level: 'info', route: '/api/*', status: 200, listener: 'task-proxy' })
      expect(await passThroughCount(proxy, 200)).toBe(2)
      const fresh = await fetch(`${proxy}/api/tasks/queue/sizes`)
      expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
      expect(seen.at(-1)?.headers['x-request-id']).toBe(fresh.headers.get('x-request-id') ?? '')
    } finally {
      await close()
    }
  })

  it('streams a large answer, decodes a coded one and passes body-less ones, as the app does', async () => {
    const { proxy, close } = flowgate()
    try {
      for (const [path, headers] of [
        ['/api/big', CLIENT],
        ['/api/gzip', CLIENT],
        ['/api/none', CLIENT],
        ['/api/cached', { ...CLIENT, 'if-none-match': '"v1"' }],
        ['/api/cached', CLIENT],
      ] as const) {
        const direct = await fetch(`${proxy}${path}`, { headers })
        const routed = await fetch(`${proxy}${encodedFirst(path)}`, { headers })
        const [a, b] = [Buffer.from(await direct.arrayBuffer()), Buffer.from(await routed.arrayBuffer())]
        expect([path, direct.status]).toEqual([path, routed.status])
        expect(a.equals(b)).toBe(true)
        expect(headersOf(direct)).toEqual(headersOf(routed))
      }
      expect(Buffer.from(await (await fetch(`${proxy}/api/big`)).arrayBuffer()).equals(BIG)).toBe(true)
      expect(await (await fetch(`${proxy}/api/gzip`)).json()).toEqual({ coded: true })
    } finally {
      await close()
    }
  })

  it('holds the engine back while a client stops reading a large answer, then passes all of it', async () => {
    const { proxy, close } = flowgate()
    try {
      const response = await fetch(`${proxy}/api/huge`)
      const reader = response.body?.getReader()
      let received = (await reader?.read())?.value?.byteLength ?? 0
      await Bun.sleep(1500)
      expect(engine.hugeWritten).toBeLessThan(HUGE_BYTES / 2)
      for (;;) {
        const next = await reader?.read()
        if (!next || next.done) break
        received += next.value.byteLength
      }
      expect(received).toBe(HUGE_BYTES)
    } finally {
      await close()
    }
  }, 30_000)

  it('reads chunked answers and answers delimited by the connection closing', async () => {
    const raw = await rawEngine(({ socket, text: request }) => {
      if (request.startsWith('GET /api/chunked')) {
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n')
        socket.write('5;x=1\r\nhello\r\n')
        setTimeout(() => socket.write('7\r\n, world\r\n0\r\nx-sum: 1\r\n\r\n'), 20)
      } else {
        socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end')
      }
    })
    const { proxy, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: raw.url })
    try {
      for (let i = 0; i < 2; i++) {
        const chunked = await fetch(`${proxy}/api/chunked`)
        expect([chunked.status, await chunked.text()]).toEqual([200, 'hello, world'])
        expect(chunked.headers.get('content-type')).toBe('text/plain')
      }
      // The chunked answers left their connection open for the next call.
      expect(raw.connections()).toBe(1)
      for (let i = 0; i < 2; i++) {
        const closing = await fetch(`${proxy}/api/closing`)
        expect([closing.status, await closing.text()]).toEqual([200, 'until the end'])
      }
      // Each answer read until close took its connection with it: the second needed a new one.
      expect(raw.connections()).toBe(2)
    } finally {
      await close()
      await raw.close()
    }
  })

  it('fails a short answer with 502, and a small answer stalled past the deadline with 504', async () => {
    const { proxy, lines, close } = flowgate({ FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' })
    try {
      seen.length = 0
      const short = await fetch(`${proxy}/api/short`)
      expect(short.status).toBe(502)
      expect(short.headers.get('content-type')).toContain('application/problem+json')
      expect((await short.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
      const stalled = await fetch(`${proxy}/api/stalled-small`)
      expect(stalled.status).toBe(504)
      expect((await stalled.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_TIMEOUT' })
      const held = await fetch(`${proxy}/api/hold`)
      expect(held.status).toBe(504)
      await waitFor(() => seen[1]?.cut === true && seen[2]?.cut === true)
      expect(accessLines(lines).map((line) => line.status)).toEqual([502, 504, 504])
      expect(await passThroughCount(proxy, 504)).toBe(2)
    } finally {
      await close()
    }
  })

  it('answers 502 for an engine that is down or answers what is not HTTP, 500 for a status out of range', async () => {
    const odd = await rawEngine(({ socket, text: request }) => {
      if (request.startsWith('GET /api/garbage')) socket.end('SSH-2.0-OpenSSH\r\n\r\n')
      else socket.end('HTTP/1.1 700 Odd\r\ncontent-length: 2\r\n\r\nok')
    })
    const { proxy, lines, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: odd.url })
    try {
      const garbage = await fetch(`${proxy}/api/garbage`)
      expect(garbage.status).toBe(502)
      expect((await garbage.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
      const outOfRange = await fetch(`${proxy}/api/odd`, { headers: CLIENT })
      expect(outOfRange.status).toBe(500)
      expect((await outOfRange.json()) as unknown).toMatchObject({
        code: 'FG_ERR_INTERNAL',
        requestId: 'worker-req-1',
      })
      expect(lines.some((line) => line.msg === 'direct pass-through could not answer')).toBe(true)
      expect((await fetch(`${proxy}/healthz`)).status).toBe(200)
    } finally {
      await close()
      await odd.close()
    }
    const port = odd.url.split(':').at(-1)
    const down = flowgate({ FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${port}` })
    try {
      const response = await fetch(`${down.proxy}/api/tasks/queue/sizes`)
      expect(response.status).toBe(502)
      expect((await response.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
    } finally {
      await down.close()
    }
  })

  it('cuts a streaming answer at the deadline, and the engine call when the worker leaves', async () => {
    const slow = flowgate({ FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' })
    try {
      seen.length = 0
      const late = await fetch(`${slow.proxy}/api/stalled-stream`)
      expect(late.status).toBe(200)
      await expect(late.arrayBuffer()).rejects.toThrow()
      await waitFor(() => seen[0]?.cut === true)
    } finally {
      await slow.close()
    }
    const { proxy, lines, close } = flowgate()
    try {
      seen.length = 0
      const midAnswer = new AbortController()
      const leaving = await fetch(`${proxy}/api/stalled-stream`, { signal: midAnswer.signal })
      await leaving.body?.getReader().read()
      midAnswer.abort()
      await waitFor(() => seen[0]?.cut === true)
      const beforeAnswer = new AbortController()
      const call = fetch(`${proxy}/api/hold`, { signal: beforeAnswer.signal }).catch(() => 'aborted')
      await waitFor(() => seen.length === 2)
      beforeAnswer.abort()
      expect(await call).toBe('aborted')
      await waitFor(() => seen[1]?.cut === true)
      await waitFor(() => accessLines(lines).length === 2)
      expect(accessLines(lines)[1]).toMatchObject({ status: 499 })
      expect(lines.filter((line) => line.level === 'error')).toEqual([])
    } finally {
      await close()
    }
  })

  it('sends to an engine URL with a path and credentials as the Node forwarder does', async () => {
    const withPath = `${engine.url.replace('//', '//flow:p%40ss@')}/conductor/`
    const { proxy, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: withPath })
    try {
      seen.length = 0
      const direct = await fetch(`${proxy}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
      expect(direct.status).toBe(200)
      expect(seen[0]?.url).toBe('/conductor/api/tasks/queue/sizes?taskType=x')
      expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('flow:p@ss').toString('base64')}`)
    } finally {
      await close()
    }
  })

  it('sends again, once, a call whose kept-alive connection the engine had closed', async () => {
    const dropping = await rawEngine(({ socket, nth }) => {
      if (nth > 1) socket.destroy()
      else socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
    })
    const { proxy, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: dropping.url })
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${proxy}/api/tasks/queue/sizes`)
        expect([i, response.status, await response.text()]).toEqual([i, 200, '{}'])
      }
      expect(dropping.connections()).toBe(3)
    } finally {
      await close()
      await dropping.close()
    }
    // An engine that closes idle connections after 50 ms: the next call finds its socket gone.
    const brief = createServer((_req, res) => res.end('{}'))
    brief.keepAliveTimeout = 50
    let briefOpen = 0
    brief.on('connection', (socket) => {
      briefOpen++
      socket.on('close', () => briefOpen--)
    })
    await new Promise<void>((resolve) => brief.listen(0, '127.0.0.1', resolve))
    const later = flowgate({
      FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${(brief.address() as AddressInfo).port}`,
    })
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${later.proxy}/api/tasks/queue/sizes`)
        expect([i, response.status, await response.text()]).toEqual([i, 200, '{}'])
        await waitFor(() => briefOpen === 0)
      }
    } finally {
      await later.close()
      await new Promise((resolve) => brief.close(resolve))
    }
  })

  it('drops a connection on which the engine sent more than the answer, and answers from a new one', async () => {
    const twice = await rawEngine(({ socket }) => {
      socket.write(
        'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra'
      )
    })
    const { proxy, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: twice.url })
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`${proxy}/api/tasks/queue/sizes`)
        expect([i, response.status, await response.text()]).toEqual([i, 200, '{}'])
      }
      expect(twice.connections()).toBe(2)
    } finally {
      await close()
      await twice.close()
    }
  })

  it('fails every waiting call at once with 502 when the engine is down, not at the deadline', async () => {
    const gone = await rawEngine(() => {})
    await gone.close()
    const { proxy, close } = flowgate(
      { FLOWGATE_CONDUCTOR_URL: gone.url, FLOWGATE_CONDUCTOR_TIMEOUT_MS: '4000' },
      { maxSockets: 2 }
    )
    try {
      const statuses = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${proxy}/api/tasks/queue/sizes`).then((r) => r.status))
      )
      expect(statuses).toEqual(Array(8).fill(502))
    } finally {
      await close()
    }
  })

  it('never cuts the socket of another call when the reader of an answer read whole leaves', async () => {
    // Bun.serve cancels an answer's stream when its client leaves. Once the pool has read that
    // answer to its end, the socket it came on carries another call, and the cancel must leave it
    // be. Between Bun.serve and a client lie megabytes of socket buffers, so whether a client
    // leaves before or after the pool reads the end is a matter of timing there; here the
    // pass-through's own answer is held and cancelled, so each step waits for its event.
    const raw = await rawEngine()
    const { proxy, direct, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: raw.url }, { maxSockets: 1 })
    const { host } = new URL(proxy)
    // Both answers are longer than the pool reads whole, so they stream; the first is no longer
    // than its stream holds, so the pool reads it to its end although nobody reads the stream.
    const streamed = (length: number) =>
      `HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: ${length}\r\n\r\n`
    const length = 64 * 1024 + 1
    try {
      const first = direct.serve(new Request(`${proxy}/api/large`, { headers: { host } }))
      if (!first) throw new Error('the first call did not take the direct path')
      const large = await raw.request()
      large.socket.write(streamed(length) + 'l'.repeat(length))
      const answer = await first
      const second = fetch(`${proxy}/api/small`)
      // The pool read the large answer to its end and gave its only socket to the next call...
      const small = await raw.request()
      expect([small.text.split('\r\n')[0], small.connection]).toEqual(['GET /api/small HTTP/1.1', 1])
      // ...whose answer has begun (its head reached flowgate) when the large answer's reader
      // leaves, with the large answer's bytes still queued in its stream.
      small.socket.write(streamed(length) + 's'.repeat(10))
      const response = await second
      await answer.body?.cancel()
      small.socket.write('s'.repeat(length - 10))
      expect([response.status, await response.text()]).toEqual([200, 's'.repeat(length)])
      expect(raw.connections()).toBe(1)
    } finally {
      await close()
      await raw.close()
    }
  })

  it('with pass_through = "worker", refuses closed calls however spelt and never forwards them', async () => {
    const { proxy, close } = flowgate({ FLOWGATE_TASK_PROXY_PASS_THROUGH: 'worker' })
    const { port, host } = new URL(proxy)
    try {
      seen.length = 0
      for (const [method, target] of [
        ['GET', '/api/admin/config'],
        ['GET', '/api/tasks/queue/sizes'],
        ['GET', '/api/workflow/1b2c'],
        ['PUT', '/api/workflow/1b2c/pause'],
        ['GET', '/api/metadata/workflow'],
        ['GET', '/api/tasks/poll/batch/x/../../../admin/config'],
        ['GET', '/api/tasks/poll/batch/..%2F..%2F..%2Fadmin%2Fconfig'],
        ['GET', '//api/admin/config'],
        ['GET', '/api/admin/config/'],
        ['GET', '/API/admin/config'],
        ['GET', '/api/tasks/poll/batch/x#/../../../admin/config'],
        ['HEAD', '/api/admin/config'],
        ['OPTIONS', '/api/admin/config'],
      ] as const) {
        const status = await new Promise<number>((resolve) => {
          let text = ''
          const socket = connect(Number(port), '127.0.0.1', () =>
            socket.write(`${method} ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
          )
          socket.setEncoding('latin1')
          socket.on('data', (chunk: string) => {
            text += chunk
          })
          socket.on('error', () => {})
          socket.on('close', () => resolve(Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0)))
        })
        expect([method, target, status >= 400 && status < 500]).toEqual([method, target, true])
      }
      expect(seen).toEqual([])
      const update = await fetch(`${proxy}/api/tasks/externalstoragelocation?path=p`)
      expect(update.status).toBe(200)
      expect(seen.map((entry) => entry.url)).toEqual(['/api/tasks/externalstoragelocation?path=p'])
    } finally {
      await close()
    }
  })

  it('passes a 304 on that names a huge length, with no body', async () => {
    const notModified = await rawEngine(({ socket }) => {
      socket.write('HTTP/1.1 304 Not Modified\r\netag: "v9"\r\ncontent-length: 10000000000\r\n\r\n')
    })
    const { proxy, close } = flowgate({ FLOWGATE_CONDUCTOR_URL: notModified.url })
    try {
      const response = await fetch(`${proxy}/api/metadata/taskdefs`, { headers: { 'if-none-match': '"v9"' } })
      expect([response.status, response.headers.get('etag'), await response.text()]).toEqual([
        304,
        '"v9"',
        '',
      ])
    } finally {
      await close()
      await notModified.close()
    }
  })

  it('leaves a target with a fragment or an odd Host to the app, never to its own client', async () => {
    const { proxy, close } = flowgate()
    const { port } = new URL(proxy)
    try {
      seen.length = 0
      for (const [target, host] of [
        ['/api/tasks/queue/sizes#frag?x=1', `127.0.0.1:${port}`],
        ['/api/tasks/queue/sizes', 'h/api/metadata/taskdefs?'],
        ['/api/tasks/queue/sizes', 'h#x'],
      ] as const) {
        const socket = connect(Number(port), '127.0.0.1', () =>
          socket.write(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
        )
        socket.on('error', () => {})
        socket.resume()
        await new Promise((resolve) => socket.on('close', resolve))
      }
      // Whatever the app made of them went out through Bun's fetch (it names itself), not the pool.
      expect(seen.map((entry) => entry.headers['user-agent'] === undefined)).not.toContain(true)
    } finally {
      await close()
    }
  })

  it('keeps to its socket limit: further calls wait for a socket and are all answered', async () => {
    const { proxy, close } = flowgate({}, { maxSockets: 2 })
    try {
      engine.closeAllConnections()
      await waitFor(() => engine.openNow === 0)
      engine.openMost = 0
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => fetch(`${proxy}/api/slow`).then((r) => r.status))
      )
      expect(answers).toEqual(Array(10).fill(200))
      expect(engine.openMost).toBe(2)
    } finally {
      await close()
    }
  })
})
