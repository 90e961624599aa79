/**
 * The task proxy's direct pass-through on Bun (pass-through.ts over engine-pool.ts and its
 * Bun.connect sockets): the shared cases (test/conformance/pass-through-cases.ts) with the task
 * proxy on Bun.serve as bun.ts serves it, and what only the Bun pool does (its socket limit, its
 * waiting calls, its sockets' handing back, what it leaves to Bun's fetch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'bun:test'
import { connect } from 'node:net'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import type { EnginePoolOptions } from '../../../src/runtime/bun/engine-pool.ts'
import { bunPassThrough } from '../../../src/runtime/bun/pass-through.ts'
import { createTaskProxyApp } from '../../../src/task-proxy/index.ts'
import { staticTenants } from '../../../src/task-proxy/tenant-registry.ts'
import { type PassThroughWorld, passThroughCases, proxyEnv } from '../../conformance/pass-through-cases.ts'
import { PassThroughEngine, rawEngine, waitFor } from '../../fixtures/pass-through-engine.ts'

const engine = new PassThroughEngine()
const seen = engine.seen

beforeAll(() => engine.start())
afterAll(() => engine.close())

/** The task proxy on Bun.serve as bun.ts serves it, its log lines, and how to stop it. */
function flowgate(env: Record<string, string> = {}, pool: Partial<EnginePoolOptions> = {}) {
  const lines: Array<Record<string, unknown>> = []
  const { config } = resolveConfig({
    env: proxyEnv(engine.url, env),
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

const world: PassThroughWorld = {
  engine,
  routedSendsSameHeaders: false,
  clientAdds: {},
  start: async (env = {}) => {
    const { proxy, lines, close } = flowgate(env)
    return { url: proxy, lines, close }
  },
}

describe('the Bun pass-through: the shared cases', () => {
  for (const [name, run, timeoutMs] of passThroughCases) it(name, () => run(world), timeoutMs)
})

describe('the Bun pass-through', () => {
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
