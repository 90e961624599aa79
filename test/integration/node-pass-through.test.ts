import { createServer } from 'node:http'
import { type AddressInfo, connect, createServer as netServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { createUndiciFetch } from '../../src/runtime/node/fetch.ts'
import { serveNode } from '../../src/runtime/node/node.ts'
import { nodePassThrough } from '../../src/runtime/node/pass-through.ts'
import { createTaskProxyApp } from '../../src/task-proxy/index.ts'
import { staticTenants } from '../../src/task-proxy/tenant-registry.ts'
import {
  accessLines,
  BIG,
  CLIENT,
  encodedFirst,
  HUGE_BYTES,
  headersOf,
  PassThroughEngine,
  passThroughCount,
  waitFor,
} from '../fixtures/pass-through-engine.ts'
import { freePort } from './processes.ts'

const engine = new PassThroughEngine()
const seen = engine.seen

beforeAll(() => engine.start())
afterAll(() => engine.close())

async function flowgate(env: Record<string, string> = {}) {
  const lines: Array<Record<string, unknown>> = []
  const server = await serveNode({
    config: resolveConfig({
      env: {
        FLOWGATE_SERVER_PORT: '0',
        FLOWGATE_TASK_PROXY_PORT: '0',
        FLOWGATE_TASK_PROXY_TENANTS: 'acme',
        FLOWGATE_CONDUCTOR_URL: engine.url,
        FLOWGATE_LOG_ACCESS: 'true',
        // The whole API passes (the original's behaviour): most tests here are about how it passes.
        FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
        ...env,
      },
    }).config,
    logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }),
  })
  return { server, lines, proxy: server.taskProxyUrl ?? '' }
}

/** A node:http server with only the direct path: whatever it leaves answers 299 "left to the app". */
async function directOnly(passThrough = 'all'): Promise<{ port: number; close: () => Promise<void> }> {
  const { config } = resolveConfig({
    env: {
      FLOWGATE_CONDUCTOR_URL: engine.url,
      FLOWGATE_TASK_PROXY_TENANTS: 'acme',
      FLOWGATE_TASK_PROXY_PASS_THROUGH: passThrough,
    },
  })
  const forwarder = createUndiciFetch()
  const logger = createLogger({ level: 'silent' })
  const app = createTaskProxyApp({
    config,
    logger,
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    registry: staticTenants(['acme']),
    fetch: forwarder.fetch,
  })
  const direct = nodePassThrough(app.direct, logger, forwarder.agent)
  const server = createServer((req, res) => {
    if (direct(req, res)) return
    res.writeHead(299)
    res.end('left to the app')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      forwarder.close()
    },
  }
}

describe('the Node task proxy with pass_through = "worker" (the default)', () => {
  it('leaves every call workers do not make to the app, which answers 404 without asking Conductor', async () => {
    const { port, close } = await directOnly('worker')
    try {
      seen.length = 0
      for (const path of ['/api/tasks/queue/sizes', '/api/admin/config', '/api/metadata/workflow']) {
        const left = await fetch(`http://127.0.0.1:${port}${path}`)
        expect([path, left.status]).toEqual([path, 299])
      }
      const served = await fetch(`http://127.0.0.1:${port}/api/tasks/externalstoragelocation?path=p`)
      expect(served.status).toBe(200)
      expect(seen.map((entry) => entry.url)).toEqual(['/api/tasks/externalstoragelocation?path=p'])
    } finally {
      await close()
    }
  })

  it('refuses closed calls however they are spelt, on the wire, and never forwards them', async () => {
    const { server, proxy } = await flowgate({ FLOWGATE_TASK_PROXY_PASS_THROUGH: 'worker' })
    const { port, host } = new URL(proxy)
    try {
      seen.length = 0
      const hostile: Array<[string, string]> = [
        ['GET', '/api/admin/config'],
        ['GET', '/api/workflow/1b2c?includeTasks=true'],
        ['PUT', '/api/workflow/1b2c/pause'],
        ['GET', '/api/metadata/workflow'],
        ['GET', '/api/tasks/queue/all'],
        ['GET', '/api/tasks/poll/batch/x/../../../admin/config'],
        ['GET', '/api/tasks/poll/batch/x/%2e%2e/%2e%2e/%2e%2e/admin/config'],
        ['GET', '/api/tasks/poll/batch/..%2F..%2F..%2Fadmin%2Fconfig'],
        ['GET', '/api/tasks/poll/x/..'],
        ['POST', '/api/tasks/../admin/config'],
        ['GET', '//api/admin/config'],
        ['GET', '/api//admin/config'],
        ['GET', '/api/admin/config/'],
        ['GET', '/API/admin/config'],
        ['GET', '/api/Admin/config'],
        ['GET', '/api/admin;x=1/config'],
        ['GET', '/api/admin/config?x=/api/tasks'],
        ['GET', '/api/tasks/poll/batch/x#/../../../admin/config'],
        ['GET', '/api/tasks..adminconfig'],
        ['HEAD', '/api/admin/config'],
        ['OPTIONS', '/api/admin/config'],
        ['OPTIONS', '*'],
        ['GET', 'http://127.0.0.1/api/admin/config'],
      ]
      for (const [method, target] of hostile) {
        const answer = await rawRequest(Number(port), method, target, host)
        expect([method, target, answer.status >= 400 && answer.status < 500]).toEqual([method, target, true])
      }
      expect(seen).toEqual([])
    } finally {
      await server.close()
    }
  })
})

describe('the Node listener serving pass-through GETs itself', () => {
  it('serves only what passesDirectly accepts, and leaves the rest to the app', async () => {
    const { port, close } = await directOnly()
    const base = `http://127.0.0.1:${port}`
    try {
      const served = await fetch(`${base}/api/tasks/queue/sizes?taskType=x`)
      expect(served.status).toBe(200)
      expect(await served.text()).toBe('{"GLOBAL___notify":3}')
      for (const [method, path] of [
        ['POST', '/api/tasks/queue/sizes'],
        ['GET', '/api/tasks/poll/batch/x'],
        ['GET', '/api/tasks/queue/size%73'],
        ['GET', '/metrics'],
      ] as const) {
        const left = await fetch(`${base}${path}`, { method })
        expect([method, path, left.status, await left.text()]).toEqual([method, path, 299, 'left to the app'])
      }
    } finally {
      await close()
    }
  })

  it('leaves every target or Host that URL parsing would change to the app, and never forwards it', async () => {
    const { port, close } = await directOnly()
    const host = `127.0.0.1:${port}`
    try {
      seen.length = 0
      const hostile: Array<[string, string, string]> = [
        ['GET', '/api/../admin/secret', host],
        ['GET', '/api/x/../../actuator/env', host],
        ['GET', '/api/x/..', host],
        ['GET', '/api/x\\..\\..\\admin', host],
        ['GET', '/api/./tasks/poll/T?count=5', host],
        ['GET', '/api/a#b', host],
        ['GET', '/api/tasks/queue/sizes', 'h/api/admin/config?'],
        ['GET', '/api/tasks/queue/sizes', 'bad host'],
        ['GET', '/api/tasks/queue/sizes', ''],
        ['HEAD', '/api/tasks/queue/sizes', host],
      ]
      for (const [method, target, hostHeader] of hostile) {
        const answer = await rawRequest(port, method, target, hostHeader)
        expect([method, target, hostHeader, answer.status]).toEqual([method, target, hostHeader, 299])
      }
      expect(seen).toEqual([])
    } finally {
      await close()
    }
  })

  it('answers 500 when the engine sends status 700 (outside 200-599, as on Bun), and goes on serving', async () => {
    const odd = netServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 700 Odd\r\ncontent-length: 2\r\n\r\nok'))
    })
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve))
    const { server, lines, proxy } = await flowgate({
      FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${(odd.address() as AddressInfo).port}`,
    })
    try {
      const response = await fetch(`${proxy}/api/tasks/queue/sizes`, { headers: CLIENT })
      expect(response.status).toBe(500)
      expect((await response.json()) as unknown).toMatchObject({
        code: 'FG_ERR_INTERNAL',
        requestId: 'worker-req-1',
      })
      expect(lines.some((line) => line.msg === 'direct pass-through could not answer')).toBe(true)
      expect((await fetch(`${proxy}/healthz`)).status).toBe(200)
    } finally {
      await server.close()
      await new Promise((resolve) => odd.close(resolve))
    }
  })

  it('answers 502 when the engine sends status 099, which is not HTTP (RFC 9110 §15), and goes on serving', async () => {
    // undici's parser refuses a status below 100 as it refuses any answer that is not HTTP (as on Bun).
    const odd = netServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nok'))
    })
    await new Promise<void>((resolve) => odd.listen(0, '127.0.0.1', resolve))
    const { server, proxy } = await flowgate({
      FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${(odd.address() as AddressInfo).port}`,
    })
    try {
      const response = await fetch(`${proxy}/api/tasks/queue/sizes`, { headers: CLIENT })
      expect(response.status).toBe(502)
      expect((await response.json()) as unknown).toMatchObject({
        code: 'FG_ERR_UPSTREAM_UNAVAILABLE',
        requestId: 'worker-req-1',
      })
      expect((await fetch(`${proxy}/healthz`)).status).toBe(200)
    } finally {
      await server.close()
      await new Promise((resolve) => odd.close(resolve))
    }
  })

  it('answers as the app does: status, body, headers, what reaches the engine, access line, metrics', async () => {
    const { server, lines, proxy } = await flowgate()
    try {
      seen.length = 0
      // A plain path takes the listener's direct path; a `%`-encoded one goes through hono.
      const direct = await fetch(`${proxy}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
      const routed = await fetch(`${proxy}/api/tasks/queue/size%73?taskType=x`, { headers: CLIENT })
      expect(direct.status).toBe(200)
      expect(await direct.text()).toBe(await routed.text())
      expect(headersOf(direct)).toEqual(headersOf(routed))
      expect(direct.headers.get('x-request-id')).toBe('worker-req-1')
      expect(direct.headers.get('set-cookie')).toBeNull()
      expect(direct.headers.get('server')).toBeNull()
      const [toDirect, toRouted] = seen
      expect(toDirect?.url).toBe('/api/tasks/queue/sizes?taskType=x')
      expect(toRouted?.url).toBe('/api/tasks/queue/size%73?taskType=x')
      expect(toDirect?.headers).toEqual(toRouted?.headers)
      expect(toDirect?.headers.authorization).toBeUndefined()
      expect(toDirect?.headers.cookie).toBeUndefined()
      expect(toDirect?.headers['x-forwarded-host']).toBe(new URL(proxy).host)
      expect(toDirect?.headers['x-forwarded-proto']).toBe('http')
      expect(toDirect?.headers.traceparent).toBe(CLIENT.traceparent)
      const [first, second] = accessLines(lines)
      expect(first).toEqual(second)
      expect(first).toMatchObject({ level: 'info', route: '/api/*', status: 200, listener: 'task-proxy' })
      expect(await passThroughCount(proxy, 200)).toBe(2)
      // A request without an id gets a new one, sent to the engine and back.
      const fresh = await fetch(`${proxy}/api/tasks/queue/sizes`)
      const id = fresh.headers.get('x-request-id')
      expect(id).toMatch(/^[0-9a-f-]{36}$/)
      expect(seen.at(-1)?.headers['x-request-id']).toBe(id)
    } finally {
      await server.close()
    }
  })

  it('streams a large answer, decodes a coded one and passes a body-less one, as the app does', async () => {
    const { server, proxy } = await flowgate()
    try {
      for (const path of ['/api/big', '/api/gzip', '/api/none']) {
        const direct = await fetch(`${proxy}${path}`, { headers: CLIENT })
        const routed = await fetch(`${proxy}${encodedFirst(path)}`, { headers: CLIENT })
        const [a, b] = [Buffer.from(await direct.arrayBuffer()), Buffer.from(await routed.arrayBuffer())]
        expect([path, direct.status]).toEqual([path, routed.status])
        expect(a.equals(b)).toBe(true)
        expect(headersOf(direct)).toEqual(headersOf(routed))
      }
      const big = await fetch(`${proxy}/api/big`)
      expect(Buffer.from(await big.arrayBuffer()).equals(BIG)).toBe(true)
      expect(await (await fetch(`${proxy}/api/gzip`)).json()).toEqual({ coded: true })
    } finally {
      await server.close()
    }
  })

  it('holds the engine back while a client stops reading a large answer, then passes all of it', async () => {
    const { server, proxy } = await flowgate()
    try {
      const response = await fetch(`${proxy}/api/huge`)
      const reader = response.body?.getReader()
      let received = (await reader?.read())?.value?.byteLength ?? 0
      await new Promise((resolve) => setTimeout(resolve, 1500))
      // Socket buffers on the way may hold some (loopback's may grow to 32 MB each), not all of it.
      expect(engine.hugeWritten).toBeLessThan(HUGE_BYTES / 2)
      for (;;) {
        const next = await reader?.read()
        if (!next || next.done) break
        received += next.value.byteLength
      }
      expect(received).toBe(HUGE_BYTES)
    } finally {
      await server.close()
    }
  }, 30_000)

  it("passes a conditional GET through: 304 with the engine's etag and no body, as the app does", async () => {
    const { server, proxy } = await flowgate()
    try {
      const headers = { ...CLIENT, 'if-none-match': '"v1"' }
      const direct = await fetch(`${proxy}/api/cached`, { headers })
      const routed = await fetch(`${proxy}${encodedFirst('/api/cached')}`, { headers })
      expect(direct.status).toBe(304)
      expect(direct.headers.get('etag')).toBe('"v1"')
      expect(await direct.text()).toBe('')
      expect(headersOf(direct)).toEqual(headersOf(routed))
      expect((await fetch(`${proxy}/api/cached`)).status).toBe(200)
    } finally {
      await server.close()
    }
  })

  it('ignores a GET body and answers the next request on the same connection', async () => {
    const { server, proxy } = await flowgate()
    try {
      seen.length = 0
      const { port, host } = new URL(proxy)
      const get = (extra: string, body: string) =>
        `GET /api/tasks/queue/sizes HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n${body}`
      const socket = connect(Number(port), '127.0.0.1')
      await new Promise((resolve) => socket.once('connect', resolve))
      let text = ''
      socket.setEncoding('latin1')
      socket.on('data', (chunk: string) => {
        text += chunk
      })
      socket.write(get('content-length: 5\r\n', 'hello') + get('Connection: close\r\n', ''))
      await new Promise((resolve) => socket.once('close', resolve))
      expect(text.match(/HTTP\/1\.1 200 /g)).toHaveLength(2)
      expect(text.match(/\{"GLOBAL___notify":3\}/g)).toHaveLength(2)
      expect(seen.map((entry) => [entry.url, entry.headers['content-length']])).toEqual([
        ['/api/tasks/queue/sizes', undefined],
        ['/api/tasks/queue/sizes', undefined],
      ])
    } finally {
      await server.close()
    }
  })

  it('answers an engine past its deadline with 504 and an unreachable one with 502, as problems', async () => {
    const slow = await flowgate({ FLOWGATE_CONDUCTOR_TIMEOUT_MS: '200' })
    try {
      const response = await fetch(`${slow.proxy}/api/hold`)
      expect(response.status).toBe(504)
      expect(response.headers.get('content-type')).toContain('application/problem+json')
      expect((await response.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_TIMEOUT' })
      expect(response.headers.get('x-request-id')).toBeTruthy()
      expect(accessLines(slow.lines).at(-1)).toMatchObject({ level: 'warn', status: 504 })
    } finally {
      await slow.server.close()
    }
    const down = await flowgate({ FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${await freePort()}` })
    try {
      const response = await fetch(`${down.proxy}/api/tasks/queue/sizes`)
      expect(response.status).toBe(502)
      expect((await response.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
    } finally {
      await down.server.close()
    }
  })

  it('fails an answer shorter than announced with 502, and one stalled past the deadline with 504', async () => {
    const { server, lines, proxy } = await flowgate({ FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' })
    try {
      seen.length = 0
      const short = await fetch(`${proxy}/api/short`)
      expect(short.status).toBe(502)
      expect((await short.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
      const stalled = await fetch(`${proxy}/api/stalled-small`)
      expect(stalled.status).toBe(504)
      expect((await stalled.json()) as unknown).toMatchObject({ code: 'FG_ERR_UPSTREAM_TIMEOUT' })
      await waitFor(() => seen[1]?.cut === true)
      expect(accessLines(lines).map((line) => line.status)).toEqual([502, 504])
      expect(await passThroughCount(proxy, 504)).toBe(1)
    } finally {
      await server.close()
    }
  })

  it('cuts a streaming answer at the deadline, and the engine call when the worker leaves mid-answer', async () => {
    const { server, proxy } = await flowgate({ FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' })
    try {
      seen.length = 0
      const late = await fetch(`${proxy}/api/stalled-stream`)
      expect(late.status).toBe(200)
      await expect(late.arrayBuffer()).rejects.toThrow()
      await waitFor(() => seen[0]?.cut === true)
    } finally {
      await server.close()
    }
    const { server: second, proxy: other } = await flowgate()
    try {
      seen.length = 0
      const controller = new AbortController()
      const leaving = await fetch(`${other}/api/stalled-stream`, { signal: controller.signal })
      await leaving.body?.getReader().read()
      controller.abort()
      await waitFor(() => seen[0]?.cut === true)
    } finally {
      await second.close()
    }
  })

  it('sends to an engine URL with a path and credentials as the app does', async () => {
    const withPath = `${engine.url.replace('//', '//flow:p%40ss@')}/conductor/`
    const { server, proxy } = await flowgate({ FLOWGATE_CONDUCTOR_URL: withPath })
    try {
      seen.length = 0
      const direct = await fetch(`${proxy}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
      const routed = await fetch(`${proxy}/api/tasks/queue/size%73?taskType=x`, { headers: CLIENT })
      expect([direct.status, routed.status]).toEqual([200, 200])
      const [toDirect, toRouted] = seen
      expect(toDirect?.url).toBe('/conductor/api/tasks/queue/sizes?taskType=x')
      expect(toDirect?.headers.authorization).toBe(`Basic ${Buffer.from('flow:p@ss').toString('base64')}`)
      expect(toDirect?.headers).toEqual(toRouted?.headers)
    } finally {
      await server.close()
    }
  })

  it('sends again, once, a call whose kept-alive connection the engine had closed', async () => {
    // An engine that answers the first request on each connection and drops the connection at the second.
    let connections = 0
    const dropping = netServer((socket) => {
      connections++
      let requests = 0
      socket.on('data', () => {
        requests++
        if (requests > 1) socket.destroy()
        else socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
      })
    })
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve))
    const { server, proxy } = await flowgate({
      FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`,
    })
    try {
      for (let i = 0; i < 3; i++) {
        const response = await fetch(`${proxy}/api/tasks/queue/sizes`)
        expect([i, response.status, await response.text()]).toEqual([i, 200, '{}'])
      }
      // Each call after the first found its kept connection dropped and went on a new one.
      expect(connections).toBe(3)
    } finally {
      await server.close()
      await new Promise((resolve) => dropping.close(resolve))
    }
  })

  it.each([
    ['direct', '/api/hold'],
    ['routed', '/api/%68old'],
  ])('cuts the engine call when the worker goes away, and records 499 (%s)', async (_way, path) => {
    const { server, lines, proxy } = await flowgate()
    try {
      seen.length = 0
      const controller = new AbortController()
      const call = fetch(`${proxy}${path}`, { signal: controller.signal }).catch(() => 'aborted')
      await waitFor(() => seen.length === 1)
      controller.abort()
      expect(await call).toBe('aborted')
      await waitFor(() => seen[0]?.cut === true)
      await waitFor(() => accessLines(lines).length === 1)
      expect(accessLines(lines)[0]).toMatchObject({ status: 499 })
      // No error line: a worker going away is not a server fault.
      expect(lines.filter((line) => line.level === 'error')).toEqual([])
      expect(await passThroughCount(proxy, 499)).toBe(1)
    } finally {
      await server.close()
    }
  })
})

/** One request written as it is (no URL parsing on the way), `host` as the Host header (none if empty). */
function rawRequest(port: number, method: string, target: string, host: string): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const version = host === '' ? 'HTTP/1.0' : 'HTTP/1.1'
      socket.write(
        `${method} ${target} ${version}\r\n${host === '' ? '' : `Host: ${host}\r\n`}Connection: close\r\n\r\n`
      )
    })
    let text = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
    })
    socket.on('error', reject)
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0) }))
  })
}
