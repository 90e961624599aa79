/**
 * The task proxy's direct pass-through on Node (node-pass-through.ts over engine-get.ts and
 * undici): the shared cases (test/conformance/pass-through-cases.ts) with flowgate served as the
 * Node entry serves it, and what only the Node listener does (what it leaves to the app).
 */
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { createUndiciFetch } from '../../src/runtime/node/fetch.ts'
import { serveNode } from '../../src/runtime/node/node.ts'
import { nodePassThrough } from '../../src/runtime/node/pass-through.ts'
import { createTaskProxyApp } from '../../src/task-proxy/index.ts'
import { staticTenants } from '../../src/task-proxy/tenant-registry.ts'
import { type PassThroughWorld, passThroughCases, proxyEnv } from '../conformance/pass-through-cases.ts'
import { PassThroughEngine, rawRequest } from '../fixtures/pass-through-engine.ts'

const engine = new PassThroughEngine()
const seen = engine.seen

beforeAll(() => engine.start())
afterAll(() => engine.close())

/** The task proxy as `flowgate serve` runs it on Node. */
const world: PassThroughWorld = {
  engine,
  routedSendsSameHeaders: true,
  clientAdds: { connection: 'keep-alive' },
  async start(env = {}) {
    const lines: Array<Record<string, unknown>> = []
    const server = await serveNode({
      config: resolveConfig({
        env: { FLOWGATE_SERVER_PORT: '0', FLOWGATE_TASK_PROXY_PORT: '0', ...proxyEnv(engine.url, env) },
      }).config,
      logger: createLogger({ level: 'debug', sink: (line) => lines.push(JSON.parse(line)) }),
    })
    return { url: server.taskProxyUrl ?? '', lines, close: () => server.close() }
  },
}

describe('the Node pass-through: the shared cases', () => {
  for (const [name, run, timeoutMs] of passThroughCases) it(name, () => run(world), timeoutMs)
})

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
})

describe('the Node task proxy listener', () => {
  it('ignores a GET body and answers the next request pipelined behind it on the same connection', async () => {
    const proxy = await world.start()
    try {
      seen.length = 0
      const { port, host } = new URL(proxy.url)
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
      await proxy.close()
    }
  })
})
