/**
 * @module The task proxy's direct pass-through cases every runtime with its own engine client must
 * pass alike (Node over undici, Bun over its Bun.connect pool), against real engines on loopback
 * (test/fixtures/pass-through-engine.ts). Plain async functions with node:assert/strict, run by
 * test/integration/node-pass-through.test.ts and test/runtime/bun/pass-through.test.ts, each with
 * its own world; what only one client has (the Node agent, the Bun pool's limits and reader) stays
 * in that runtime's file.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { type AddressInfo, connect } from 'node:net'
import {
  accessLines,
  BIG,
  CLIENT,
  encodedFirst,
  HUGE_BYTES,
  headersOf,
  type PassThroughEngine,
  passThroughCount,
  rawEngine,
  rawRequest,
  waitFor,
} from '../fixtures/pass-through-engine.ts'

/** flowgate's task proxy listening on loopback, its log lines, and how to stop it. */
export interface PassThroughProxy {
  url: string
  lines: Array<Record<string, unknown>>
  close(): Promise<void>
}

/** How a runtime starts flowgate's task proxy against a fake engine. */
export interface PassThroughWorld {
  /** The recording engine, started by the runner. */
  engine: PassThroughEngine
  /** The task proxy with `proxyEnv(env)` as its environment. */
  start(env?: Record<string, string>): Promise<PassThroughProxy>
  /**
   * Whether the routed path (hono's fetch) sends the engine exactly the direct path's headers: on
   * Node both go through undici; Bun's fetch adds its own (user-agent, accept-encoding, connection).
   */
  routedSendsSameHeaders: boolean
  /** Headers the direct path's engine client adds of its own (undici: `connection`). */
  clientAdds: Record<string, string>
}

export type PassThroughCase = [
  name: string,
  run: (world: PassThroughWorld) => Promise<void>,
  timeoutMs?: number,
]

/** The task proxy's environment: tenant `acme`, access lines, the whole API passing, then `env`. */
export function proxyEnv(engineUrl: string, env: Record<string, string> = {}): Record<string, string> {
  return {
    FLOWGATE_CONDUCTOR_URL: engineUrl,
    FLOWGATE_TASK_PROXY_TENANTS: 'acme',
    FLOWGATE_LOG_ACCESS: 'true',
    // The whole API passes (the original's behaviour): most cases are about how it passes.
    FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
    ...env,
  }
}

/** Each of `expected`'s keys has its value in `actual` (as vitest's toMatchObject). */
function like(actual: unknown, expected: Record<string, unknown>): void {
  assert.ok(actual !== null && typeof actual === 'object', `not an object: ${String(actual)}`)
  const record = actual as Record<string, unknown>
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((key) => [key, record[key]])), expected)
}

async function json(response: Response): Promise<unknown> {
  return await response.json()
}

/** Runs `run` against a started task proxy, and stops it whatever happens. */
async function withProxy(
  world: PassThroughWorld,
  env: Record<string, string>,
  run: (proxy: PassThroughProxy) => Promise<void>
): Promise<void> {
  const proxy = await world.start(env)
  try {
    await run(proxy)
  } finally {
    await proxy.close()
  }
}

/** A URL no engine listens on: a raw engine's, once it has stopped. */
async function downUrl(): Promise<string> {
  const gone = await rawEngine()
  await gone.close()
  return gone.url
}

const answers: PassThroughCase[] = [
  [
    'answers as the app does: status, body, headers, what reaches the engine, access line, metrics',
    (world) =>
      withProxy(world, {}, async ({ url, lines }) => {
        const seen = world.engine.seen
        seen.length = 0
        // A plain path takes the listener's direct path; a `%`-encoded one goes through hono.
        const direct = await fetch(`${url}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
        const routed = await fetch(`${url}/api/tasks/queue/size%73?taskType=x`, { headers: CLIENT })
        assert.equal(direct.status, 200)
        assert.equal(await direct.text(), await routed.text())
        assert.deepEqual(headersOf(direct), headersOf(routed))
        assert.equal(direct.headers.get('x-request-id'), 'worker-req-1')
        assert.equal(direct.headers.get('set-cookie'), null)
        assert.equal(direct.headers.get('server'), null)
        const [toDirect, toRouted] = seen
        assert.equal(toDirect?.url, '/api/tasks/queue/sizes?taskType=x')
        assert.equal(toRouted?.url, '/api/tasks/queue/size%73?taskType=x')
        // Only allowed headers reach the engine: no credentials, the trace and the forwarding ones.
        const sent = { ...toDirect?.headers }
        assert.deepEqual(sent, {
          host: new URL(world.engine.url).host,
          accept: CLIENT.accept,
          'accept-language': CLIENT['accept-language'],
          traceparent: CLIENT.traceparent,
          'x-request-id': 'worker-req-1',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': new URL(url).host,
          ...world.clientAdds,
        })
        if (world.routedSendsSameHeaders) assert.deepEqual({ ...toDirect?.headers }, { ...toRouted?.headers })
        // The routed path's client may add its own; what the direct one sent reaches the engine too.
        const { host: _host, connection: _connection, ...forwarded } = { ...toDirect?.headers }
        like(toRouted?.headers, forwarded)
        const [first, second] = accessLines(lines)
        assert.deepEqual(first, second)
        like(first, { level: 'info', route: '/api/*', status: 200, listener: 'task-proxy' })
        assert.equal(await passThroughCount(url, 200), 2)
        // A request without an id gets a new one, sent to the engine and back.
        const fresh = await fetch(`${url}/api/tasks/queue/sizes`)
        const id = fresh.headers.get('x-request-id')
        assert.match(id ?? '', /^[0-9a-f-]{36}$/)
        assert.equal(seen.at(-1)?.headers['x-request-id'], id)
      }),
  ],
  [
    'streams a large answer, decodes a coded one and passes body-less ones, as the app does',
    (world) =>
      withProxy(world, {}, async ({ url }) => {
        for (const [path, headers] of [
          ['/api/big', CLIENT],
          ['/api/gzip', CLIENT],
          ['/api/none', CLIENT],
          ['/api/cached', { ...CLIENT, 'if-none-match': '"v1"' }],
          ['/api/cached', CLIENT],
        ] as const) {
          const direct = await fetch(`${url}${path}`, { headers })
          const routed = await fetch(`${url}${encodedFirst(path)}`, { headers })
          const [a, b] = [Buffer.from(await direct.arrayBuffer()), Buffer.from(await routed.arrayBuffer())]
          assert.deepEqual([path, direct.status], [path, routed.status])
          assert.ok(a.equals(b), path)
          assert.deepEqual(headersOf(direct), headersOf(routed))
        }
        assert.ok(Buffer.from(await (await fetch(`${url}/api/big`)).arrayBuffer()).equals(BIG))
        assert.deepEqual(await json(await fetch(`${url}/api/gzip`)), { coded: true })
      }),
  ],
  [
    "passes a conditional GET through: 304 with the engine's etag and no body, as the app does",
    (world) =>
      withProxy(world, {}, async ({ url }) => {
        const headers = { ...CLIENT, 'if-none-match': '"v1"' }
        const direct = await fetch(`${url}/api/cached`, { headers })
        const routed = await fetch(`${url}${encodedFirst('/api/cached')}`, { headers })
        assert.equal(direct.status, 304)
        assert.equal(direct.headers.get('etag'), '"v1"')
        assert.equal(await direct.text(), '')
        assert.deepEqual(headersOf(direct), headersOf(routed))
        assert.equal((await fetch(`${url}/api/cached`)).status, 200)
      }),
  ],
  [
    'passes a 304 on that names a huge length, with no body',
    async (world) => {
      const notModified = await rawEngine(({ socket }) => {
        socket.write('HTTP/1.1 304 Not Modified\r\netag: "v9"\r\ncontent-length: 10000000000\r\n\r\n')
      })
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: notModified.url }, async ({ url }) => {
          const response = await fetch(`${url}/api/metadata/taskdefs`, {
            headers: { 'if-none-match': '"v9"' },
          })
          assert.deepEqual(
            [response.status, response.headers.get('etag'), await response.text()],
            [304, '"v9"', '']
          )
        })
      } finally {
        await notModified.close()
      }
    },
  ],
  [
    'holds the engine back while a client stops reading a large answer, then passes all of it',
    (world) =>
      withProxy(world, {}, async ({ url }) => {
        const response = await fetch(`${url}/api/huge`)
        const reader = response.body?.getReader()
        let received = (await reader?.read())?.value?.byteLength ?? 0
        await new Promise((resolve) => setTimeout(resolve, 1500))
        // Socket buffers on the way may hold some (loopback's may grow to 32 MB each), not all of it.
        assert.ok(world.engine.hugeWritten < HUGE_BYTES / 2, `${world.engine.hugeWritten} bytes written`)
        for (;;) {
          const next = await reader?.read()
          if (!next || next.done) break
          received += next.value.byteLength
        }
        assert.equal(received, HUGE_BYTES)
      }),
    30_000,
  ],
  [
    'ignores a GET body and answers the next request on the same connection',
    (world) =>
      withProxy(world, {}, async ({ url }) => {
        const seen = world.engine.seen
        seen.length = 0
        const { port, host } = new URL(url)
        const get = (extra: string, body: string) =>
          `GET /api/tasks/queue/sizes HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n${body}`
        const socket = connect(Number(port), '127.0.0.1')
        await new Promise((resolve) => socket.once('connect', resolve))
        let text = ''
        socket.setEncoding('latin1')
        // The next request once the first is answered (Bun.serve does not answer pipelined
        // requests to an async handler; Node's file sends them pipelined too).
        socket.on('data', (chunk: string) => {
          const first = !text.includes('{"GLOBAL___notify":3}')
          text += chunk
          if (first && text.includes('{"GLOBAL___notify":3}')) socket.write(get('Connection: close\r\n', ''))
        })
        socket.write(get('content-length: 5\r\n', 'hello'))
        await new Promise((resolve) => socket.once('close', resolve))
        assert.equal(text.match(/HTTP\/1\.1 200 /g)?.length, 2)
        assert.equal(text.match(/\{"GLOBAL___notify":3\}/g)?.length, 2)
        assert.deepEqual(
          seen.map((entry) => [entry.url, entry.headers['content-length']]),
          [
            ['/api/tasks/queue/sizes', undefined],
            ['/api/tasks/queue/sizes', undefined],
          ]
        )
      }),
  ],
  [
    'reads chunked answers and answers delimited by the connection closing',
    async (world) => {
      const raw = await rawEngine(({ socket, text }) => {
        if (text.startsWith('GET /api/chunked')) {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n')
          socket.write('5;x=1\r\nhello\r\n')
          // The rest in a later packet: the answer is read as it comes.
          setTimeout(() => socket.write('7\r\n, world\r\n0\r\nx-sum: 1\r\n\r\n'), 20)
        } else {
          socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end')
        }
      })
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: raw.url }, async ({ url }) => {
          for (let i = 0; i < 2; i++) {
            const chunked = await fetch(`${url}/api/chunked`)
            assert.deepEqual([chunked.status, await chunked.text()], [200, 'hello, world'])
            assert.equal(chunked.headers.get('content-type'), 'text/plain')
          }
          // The chunked answers left their connection open for the next call.
          assert.equal(raw.connections(), 1)
          for (let i = 0; i < 2; i++) {
            const closing = await fetch(`${url}/api/closing`)
            assert.deepEqual([closing.status, await closing.text()], [200, 'until the end'])
          }
          // Each answer read until close took its connection with it: the second needed a new one.
          assert.equal(raw.connections(), 2)
        })
      } finally {
        await raw.close()
      }
    },
  ],
  [
    'drops a connection on which the engine sent more than the answer, and answers from a new one',
    async (world) => {
      const twice = await rawEngine(({ socket }) => {
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nextra'
        )
      })
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: twice.url }, async ({ url }) => {
          for (let i = 0; i < 2; i++) {
            const response = await fetch(`${url}/api/tasks/queue/sizes`)
            assert.deepEqual([i, response.status, await response.text()], [i, 200, '{}'])
          }
          assert.equal(twice.connections(), 2)
        })
      } finally {
        await twice.close()
      }
    },
  ],
]

const failures: PassThroughCase[] = [
  [
    'answers an engine past its deadline with 504 and an unreachable one with 502, as problems',
    async (world) => {
      await withProxy(world, { FLOWGATE_CONDUCTOR_TIMEOUT_MS: '200' }, async ({ url, lines }) => {
        const response = await fetch(`${url}/api/hold`)
        assert.equal(response.status, 504)
        assert.ok(response.headers.get('content-type')?.includes('application/problem+json'))
        like(await json(response), { code: 'FG_ERR_UPSTREAM_TIMEOUT' })
        assert.ok(response.headers.get('x-request-id'))
        like(accessLines(lines).at(-1), { level: 'warn', status: 504 })
      })
      await withProxy(world, { FLOWGATE_CONDUCTOR_URL: await downUrl() }, async ({ url }) => {
        const response = await fetch(`${url}/api/tasks/queue/sizes`)
        assert.equal(response.status, 502)
        like(await json(response), { code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
      })
    },
  ],
  [
    'fails an answer shorter than announced with 502, and one stalled past the deadline with 504',
    (world) =>
      withProxy(world, { FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' }, async ({ url, lines }) => {
        const seen = world.engine.seen
        seen.length = 0
        const short = await fetch(`${url}/api/short`)
        assert.equal(short.status, 502)
        assert.ok(short.headers.get('content-type')?.includes('application/problem+json'))
        like(await json(short), { code: 'FG_ERR_UPSTREAM_UNAVAILABLE' })
        const stalled = await fetch(`${url}/api/stalled-small`)
        assert.equal(stalled.status, 504)
        like(await json(stalled), { code: 'FG_ERR_UPSTREAM_TIMEOUT' })
        const held = await fetch(`${url}/api/hold`)
        assert.equal(held.status, 504)
        await waitFor(() => seen[1]?.cut === true && seen[2]?.cut === true)
        assert.deepEqual(
          accessLines(lines).map((line) => line.status),
          [502, 504, 504]
        )
        assert.equal(await passThroughCount(url, 504), 2)
      }),
  ],
  [
    'answers 500 when the engine sends status 700 (outside 200-599), and goes on serving',
    async (world) => {
      const odd = await rawEngine(({ socket }) =>
        socket.end('HTTP/1.1 700 Odd\r\ncontent-length: 2\r\n\r\nok')
      )
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: odd.url }, async ({ url, lines }) => {
          const response = await fetch(`${url}/api/tasks/queue/sizes`, { headers: CLIENT })
          assert.equal(response.status, 500)
          like(await json(response), { code: 'FG_ERR_INTERNAL', requestId: 'worker-req-1' })
          assert.ok(lines.some((line) => line.msg === 'direct pass-through could not answer'))
          assert.equal((await fetch(`${url}/healthz`)).status, 200)
        })
      } finally {
        await odd.close()
      }
    },
  ],
  [
    'answers 502 when the engine answers what is not HTTP (status 099, RFC 9110 §15; garbage), and goes on serving',
    async (world) => {
      const odd = await rawEngine(({ socket, text }) => {
        if (text.startsWith('GET /api/garbage')) socket.end('SSH-2.0-OpenSSH\r\n\r\n')
        else socket.end('HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nok')
      })
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: odd.url }, async ({ url }) => {
          for (const path of ['/api/tasks/queue/sizes', '/api/garbage']) {
            const response = await fetch(`${url}${path}`, { headers: CLIENT })
            assert.deepEqual([path, response.status], [path, 502])
            like(await json(response), { code: 'FG_ERR_UPSTREAM_UNAVAILABLE', requestId: 'worker-req-1' })
          }
          assert.equal((await fetch(`${url}/healthz`)).status, 200)
        })
      } finally {
        await odd.close()
      }
    },
  ],
]

const cuts: PassThroughCase[] = [
  [
    'cuts a streaming answer at the deadline, and the engine call when the worker leaves mid-answer',
    async (world) => {
      const seen = world.engine.seen
      await withProxy(world, { FLOWGATE_CONDUCTOR_TIMEOUT_MS: '300' }, async ({ url }) => {
        seen.length = 0
        const late = await fetch(`${url}/api/stalled-stream`)
        assert.equal(late.status, 200)
        await assert.rejects(late.arrayBuffer())
        await waitFor(() => seen[0]?.cut === true)
      })
      await withProxy(world, {}, async ({ url }) => {
        seen.length = 0
        const controller = new AbortController()
        const leaving = await fetch(`${url}/api/stalled-stream`, { signal: controller.signal })
        await leaving.body?.getReader().read()
        controller.abort()
        await waitFor(() => seen[0]?.cut === true)
      })
    },
  ],
  ...(
    [
      ['direct', '/api/hold'],
      ['routed', '/api/%68old'],
    ] as const
  ).map(
    ([way, path]): PassThroughCase => [
      `cuts the engine call when the worker goes away before the answer, and records 499 (${way})`,
      (world) =>
        withProxy(world, {}, async ({ url, lines }) => {
          const seen = world.engine.seen
          seen.length = 0
          const controller = new AbortController()
          const call = fetch(`${url}${path}`, { signal: controller.signal }).catch(() => 'aborted')
          await waitFor(() => seen.length === 1)
          controller.abort()
          assert.equal(await call, 'aborted')
          await waitFor(() => seen[0]?.cut === true)
          await waitFor(() => accessLines(lines).length === 1)
          like(accessLines(lines)[0], { status: 499 })
          // No error line: a worker going away is not a server fault.
          assert.deepEqual(
            lines.filter((line) => line.level === 'error'),
            []
          )
          assert.equal(await passThroughCount(url, 499), 1)
        }),
    ]
  ),
]

const engineUrls: PassThroughCase[] = [
  [
    'sends to an engine URL with a path and credentials as the app does',
    (world) => {
      const withPath = `${world.engine.url.replace('//', '//flow:p%40ss@')}/conductor/`
      return withProxy(world, { FLOWGATE_CONDUCTOR_URL: withPath }, async ({ url }) => {
        const seen = world.engine.seen
        seen.length = 0
        const direct = await fetch(`${url}/api/tasks/queue/sizes?taskType=x`, { headers: CLIENT })
        const routed = await fetch(`${url}/api/tasks/queue/size%73?taskType=x`, { headers: CLIENT })
        assert.deepEqual([direct.status, routed.status], [200, 200])
        const [toDirect, toRouted] = seen
        assert.equal(toDirect?.url, '/conductor/api/tasks/queue/sizes?taskType=x')
        assert.equal(toRouted?.url, '/conductor/api/tasks/queue/size%73?taskType=x')
        assert.equal(toDirect?.headers.authorization, `Basic ${Buffer.from('flow:p@ss').toString('base64')}`)
        if (world.routedSendsSameHeaders) assert.deepEqual({ ...toDirect?.headers }, { ...toRouted?.headers })
        const { host: _host, connection: _connection, ...forwarded } = toDirect?.headers ?? {}
        like(toRouted?.headers, forwarded)
      })
    },
  ],
  [
    'sends again, once, a call whose kept-alive connection the engine had closed',
    async (world) => {
      // An engine that answers the first request on each connection and drops the connection at the second.
      const dropping = await rawEngine(({ socket, nth }) => {
        if (nth > 1) socket.destroy()
        else socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}')
      })
      try {
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: dropping.url }, async ({ url }) => {
          for (let i = 0; i < 3; i++) {
            const response = await fetch(`${url}/api/tasks/queue/sizes`)
            assert.deepEqual([i, response.status, await response.text()], [i, 200, '{}'])
          }
          // Each call after the first found its kept connection dropped and went on a new one.
          assert.equal(dropping.connections(), 3)
        })
      } finally {
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
      try {
        const briefUrl = `http://127.0.0.1:${(brief.address() as AddressInfo).port}`
        await withProxy(world, { FLOWGATE_CONDUCTOR_URL: briefUrl }, async ({ url }) => {
          for (let i = 0; i < 3; i++) {
            const response = await fetch(`${url}/api/tasks/queue/sizes`)
            assert.deepEqual([i, response.status, await response.text()], [i, 200, '{}'])
            await waitFor(() => briefOpen === 0)
          }
        })
      } finally {
        await new Promise((resolve) => brief.close(resolve))
      }
    },
  ],
]

const workerOnly: PassThroughCase[] = [
  [
    'with pass_through = "worker", refuses closed calls however spelt, on the wire, and never forwards them',
    (world) =>
      withProxy(world, { FLOWGATE_TASK_PROXY_PASS_THROUGH: 'worker' }, async ({ url }) => {
        const seen = world.engine.seen
        const { port, host } = new URL(url)
        seen.length = 0
        const hostile: Array<[string, string]> = [
          ['GET', '/api/admin/config'],
          ['GET', '/api/tasks/queue/sizes'],
          ['GET', '/api/workflow/1b2c'],
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
          assert.deepEqual(
            [method, target, answer.status >= 400 && answer.status < 500],
            [method, target, true]
          )
        }
        assert.deepEqual([...seen], [])
        // What a worker needs still passes.
        const update = await fetch(`${url}/api/tasks/externalstoragelocation?path=p`)
        assert.equal(update.status, 200)
        assert.deepEqual(
          seen.map((entry) => entry.url),
          ['/api/tasks/externalstoragelocation?path=p']
        )
      }),
  ],
]

export const passThroughCases: PassThroughCase[] = [
  ...answers,
  ...failures,
  ...cuts,
  ...engineUrls,
  ...workerOnly,
]
