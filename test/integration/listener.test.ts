/**
 * The Node listeners of real flowgate processes (`serve`: user-facing and task proxy; `exec serve`)
 * against raw sockets: the drain on SIGTERM, [server]'s timeouts and connection limit, and a
 * client of `exec serve` that half-closes after its request.
 */
import { createServer, type Server } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, freePort, type Running, startServer } from './processes.ts'

/** A Conductor stand-in whose every answer comes after `holdMs` (a long poll). */
let engine: Server
let engineUrl = ''
const HOLD_MS = 3_000

beforeAll(async () => {
  engine = createServer((req, res) => {
    req.resume()
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('[]')
    }, HOLD_MS)
  })
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve))
  engineUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`
})
afterAll(() => {
  engine.closeAllConnections()
  engine.close()
})

interface Flowgate extends Running {
  proxyPort: number
  proxyUrl: string
  port: number
}

async function serve(env: Record<string, string> = {}): Promise<Flowgate> {
  const port = await freePort()
  const proxyPort = await freePort()
  const running = await startServer(`${BIN}/node`, {
    args: ['bin/flowgate.js', 'serve', '--port', String(port)],
    port,
    env: {
      FLOWGATE_TASK_PROXY_PORT: String(proxyPort),
      FLOWGATE_TASK_PROXY_TENANTS: 'acme',
      FLOWGATE_CONDUCTOR_URL: engineUrl,
      FLOWGATE_AUTH_MODE: 'none',
      FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '60000',
      ...env,
    },
  })
  return Object.assign(running, { port, proxyPort, proxyUrl: `http://127.0.0.1:${proxyPort}` })
}

async function execServe(env: Record<string, string> = {}): Promise<Flowgate> {
  const port = await freePort()
  const running = await startServer(`${BIN}/node`, {
    args: ['bin/flowgate.js', 'exec', 'serve', '--port', String(port), '--root', 'examples/exec-root'],
    port,
    env: { FLOWGATE_EXEC_AUTH: 'none', FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '60000', ...env },
  })
  return Object.assign(running, { port, proxyPort: port, proxyUrl: running.url })
}

/** The native Bun or Deno entry (user-facing listener only). */
function native(runtime: 'bun' | 'deno') {
  return async (): Promise<Flowgate> => {
    const port = await freePort()
    const args =
      runtime === 'bun'
        ? ['src/runtime/bun/bun.ts']
        : ['run', '--allow-net', '--allow-env', '--allow-read', 'src/runtime/deno/deno.ts']
    const running = await startServer(`${BIN}/${runtime}`, {
      args,
      port,
      env: {
        FLOWGATE_SERVER_PORT: String(port),
        FLOWGATE_TASK_PROXY_ENABLED: 'false',
        FLOWGATE_AUTH_MODE: 'none',
        FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '60000',
      },
    })
    return Object.assign(running, { port, proxyPort: port, proxyUrl: running.url })
  }
}

/** A raw connection: what it received, and whether (and how) it ended. */
interface Client {
  socket: Socket
  received(): string
  closed: Promise<{ error?: string }>
}

function open(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    let error: string | undefined
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1')
    })
    socket.on('error', (cause: NodeJS.ErrnoException) => {
      error = cause.code ?? cause.message
    })
    const closed = new Promise<{ error?: string }>((done) =>
      socket.once('close', () => done(error ? { error } : {}))
    )
    socket.once('connect', () => resolve({ socket, received: () => received, closed }))
    socket.once('error', reject)
  })
}

/** Whole answers in `text` (each framed by Content-Length), and what is left over. */
function answers(text: string): { head: string; body: string }[] {
  const found: { head: string; body: string }[] = []
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n\r\n')
    if (end < 0) return found
    const head = rest.slice(0, end)
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0)
    if (rest.length < end + 4 + length) return found
    found.push({ head, body: rest.slice(end + 4, end + 4 + length) })
    rest = rest.slice(end + 4 + length)
  }
}

const connectionHeader = (head: string) => /\r\nconnection: *([^\r]*)/i.exec(head)?.[1]?.toLowerCase()

/**
 * Sends GET `path` on one kept-alive connection, each as soon as the previous answer is whole,
 * until an answer says `Connection: close`; `onAnswer` runs after each. Resolves with every answer
 * and how the connection ended.
 */
async function loop(port: number, path: string, onAnswer: (count: number) => void) {
  const client = await open(port)
  let seen = 0
  let closing = false
  const send = () => client.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
  client.socket.on('data', () => {
    const all = answers(client.received())
    if (all.length === seen) return
    seen = all.length
    onAnswer(seen)
    const last = all.at(-1)
    if (last && connectionHeader(last.head) === 'close') closing = true
    else if (!closing) send()
  })
  send()
  const ended = await client.closed
  return { answers: answers(client.received()), ended, leftOver: client.received() }
}

describe('the drain on SIGTERM', () => {
  const entries = [
    { name: 'serve, user-facing listener', start: serve, listener: (f: Flowgate) => f.port },
    { name: 'serve, task proxy listener', start: serve, listener: (f: Flowgate) => f.proxyPort },
    { name: 'exec serve', start: execServe, listener: (f: Flowgate) => f.port },
    { name: 'Bun entry', start: native('bun'), listener: (f: Flowgate) => f.port },
    { name: 'Deno entry', start: native('deno'), listener: (f: Flowgate) => f.port },
  ]
  it.each(entries)(
    'answers a busy kept-alive client with Connection: close, then closes ($name)',
    async (entry) => {
      const flowgate = await entry.start()
      try {
        let signalled = false
        const result = await loop(entry.listener(flowgate), '/healthz', (count) => {
          if (count === 20 && !signalled) {
            signalled = true
            flowgate.child.kill('SIGTERM')
          }
        })
        expect(result.ended).toEqual({})
        expect(result.answers.length).toBeGreaterThan(20)
        // Every request was answered whole, and only the last answer closed the connection.
        for (const answer of result.answers) expect(answer.head).toMatch(/^HTTP\/1\.1 200 /)
        // (Bun and Deno say nothing for keep-alive, HTTP/1.1's default.)
        expect(result.answers.map((answer) => connectionHeader(answer.head) ?? 'keep-alive')).toEqual([
          ...result.answers.slice(0, -1).map(() => 'keep-alive'),
          'close',
        ])
        // The grace period is 60 s: the process did not wait for it.
        expect(await flowgate.exited).toEqual({ code: 0, signal: null })
      } finally {
        await flowgate.stop('SIGKILL')
      }
    }
  )

  it('closes a kept-alive connection that stays idle, and exits 0', async () => {
    const flowgate = await serve()
    try {
      const client = await open(flowgate.port)
      client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
      while (answers(client.received()).length === 0)
        await new Promise((resolve) => client.socket.once('data', resolve))
      flowgate.child.kill('SIGTERM')
      expect(await client.closed).toEqual({})
      expect(await flowgate.exited).toEqual({ code: 0, signal: null })
    } finally {
      await flowgate.stop('SIGKILL')
    }
  })
})

/** Writes `chunk` on `client` every `everyMs` until its connection closes. */
function dribble(client: Client, chunk: string, everyMs: number): void {
  const timer = setInterval(() => client.socket.write(chunk), everyMs)
  void client.closed.then(() => clearInterval(timer))
}

/** Nothing, or node:http's 408 (its answer to a request over its time), then the close. */
const CUT = /^(|HTTP\/1\.1 408 [\s\S]*)$/

const TIGHT = {
  FLOWGATE_SERVER_HEADERS_TIMEOUT_MS: '1000',
  FLOWGATE_SERVER_REQUEST_TIMEOUT_MS: '2000',
  FLOWGATE_SERVER_MAX_CONNECTIONS: '2',
}

describe('[server] timeouts and connection limit', () => {
  let flowgate: Flowgate
  let exec: Flowgate
  /** Without a connection limit: the start-up's readiness checks may still hold connections. */
  let polls: Flowgate
  beforeAll(async () => {
    const timeouts = { ...TIGHT, FLOWGATE_SERVER_MAX_CONNECTIONS: '0' }
    ;[flowgate, exec, polls] = await Promise.all([serve(TIGHT), execServe(TIGHT), serve(timeouts)])
  })
  afterAll(async () => {
    await Promise.all([flowgate.stop(), exec.stop(), polls.stop()])
  })

  it('cuts a client that never finishes its headers after headers_timeout_ms', async () => {
    const client = await open(flowgate.port)
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n')
    dribble(client, 'X-Slow: 1\r\n', 300)
    expect(await client.closed).toEqual({})
    expect(client.received()).toMatch(CUT)
  })

  it('cuts a body dribbled slowly after request_timeout_ms and closes its connection', async () => {
    const client = await open(exec.port)
    client.socket.write('POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n')
    dribble(client, 'x', 200)
    await client.closed
    expect(client.received()).toMatch(CUT)
  })

  it('closes connections beyond max_connections while the open ones keep working', async () => {
    // The task proxy listener: the start-up's readiness checks held no connection of it.
    const request = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'
    const answered = async (client: Client, count: number) => {
      while (answers(client.received()).length < count) {
        await new Promise((resolve) => client.socket.once('data', resolve))
      }
      return answers(client.received())[count - 1]?.head
    }
    const first = await open(flowgate.proxyPort)
    first.socket.write(request)
    expect(await answered(first, 1)).toMatch(/^HTTP\/1\.1 200 /)
    const second = await open(flowgate.proxyPort)
    second.socket.write(request)
    expect(await answered(second, 1)).toMatch(/^HTTP\/1\.1 200 /)
    const third = await open(flowgate.proxyPort)
    third.socket.write(request)
    await third.closed
    expect(third.received()).toBe('')
    first.socket.write(request)
    expect(await answered(first, 2)).toMatch(/^HTTP\/1\.1 200 /)
    first.socket.destroy()
    second.socket.destroy()
  })

  it("does not cut a long poll's answer that takes longer than request_timeout_ms", async () => {
    // The task proxy, whose workers long-poll; the engine answers after HOLD_MS.
    const response = await fetch(`${polls.proxyUrl}/api/tasks/poll/batch/x?timeout=${HOLD_MS}`)
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('[]')
  })
})

const STDIN = JSON.stringify({ stdin: { content: 'hello' } })

describe('a client that half-closes after its request', () => {
  it('gets its answer from exec serve, as from httpexec, and its command runs to its end', async () => {
    const flowgate = await execServe()
    try {
      const client = await open(flowgate.port)
      client.socket.end(
        `POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${STDIN.length}\r\n\r\n${STDIN}`
      )
      expect(await client.closed).toEqual({})
      const [answer] = answers(client.received())
      expect(answer?.head).toMatch(/^HTTP\/1\.1 200 /)
      // A killed command has no return code 0.
      expect(answer?.body).toMatch(/"return":0/)
    } finally {
      await flowgate.stop()
    }
  })
})
