import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { bufferedBody, READ_WHOLE } from '../../src/proxy/buffered-body.ts'
import { createUndiciFetch } from '../../src/runtime/node/fetch.ts'
import { serveNode } from '../../src/runtime/node/node.ts'
import { freePort } from './processes.ts'

type Handler = (req: IncomingMessage, res: ServerResponse) => void

/** A real node:http server on 127.0.0.1:0 whose handler each test sets. */
let server: Server
let base = ''
let handler: Handler = (_req, res) => res.end()
let connections = 0
const seen: { closed: boolean[] } = { closed: [] }

const { fetch: nodeFetch, close } = createUndiciFetch({ maxSockets: 8 })

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res))
  server.on('connection', () => {
    connections++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(() => {
  seen.closed = []
})

afterAll(async () => {
  close()
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const sha = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

describe('the Node forwarder (undici with keep-alive)', () => {
  it('answers with the status, headers and body of the server', async () => {
    handler = (_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    }
    const response = await nodeFetch(`${base}/thing`)
    expect(response).toBeInstanceOf(Response)
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ ok: true })
  })

  it('sends the method, headers, query and a fixed body with its length', async () => {
    let received: { method?: string; url?: string; headers?: IncomingMessage['headers']; body?: string } = {}
    handler = async (req, res) => {
      received = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: (await readAll(req)).toString(),
      }
      res.end()
    }
    await nodeFetch(`${base}/path?a=1&b=2`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
      body: '{"name":"wf"}',
    })
    expect(received).toMatchObject({
      method: 'PUT',
      url: '/path?a=1&b=2',
      body: '{"name":"wf"}',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r1', 'content-length': '13' },
    })
  })

  it('streams the request and the response both ways, chunk by chunk', async () => {
    handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' })
      res.flushHeaders()
      req.on('data', (chunk: Buffer) => res.write(chunk))
      req.on('end', () => res.end())
    }
    let source!: ReadableStreamDefaultController<Uint8Array>
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        source = controller
      },
    })
    source.enqueue(new TextEncoder().encode('one'))
    const response = await nodeFetch(`${base}/echo`, { method: 'POST', body, duplex: 'half' } as RequestInit)
    const reader = response.body?.getReader()
    const first = await reader?.read()
    // The answer's first chunk arrives while the request body is still open.
    expect(new TextDecoder().decode(first?.value)).toBe('one')
    source.enqueue(new TextEncoder().encode('two'))
    source.close()
    const second = await reader?.read()
    expect(new TextDecoder().decode(second?.value)).toBe('two')
    expect((await reader?.read())?.done).toBe(true)
  })

  it('carries large bodies intact both ways', async () => {
    const big = new Uint8Array(16 * 1024 * 1024)
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff
    handler = async (req, res) => {
      const body = await readAll(req)
      res.writeHead(200, { 'x-sha': sha(body) })
      res.end(Buffer.concat([body, body]))
    }
    const response = await nodeFetch(`${base}/big`, {
      method: 'POST',
      body: new Blob([big]).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(response.headers.get('x-sha')).toBe(sha(big))
    const answer = new Uint8Array(await response.arrayBuffer())
    expect(answer.byteLength).toBe(big.byteLength * 2)
    expect(sha(answer)).toBe(sha(Buffer.concat([big, big])))
  })

  it('keeps every value of a repeated header', async () => {
    handler = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.setHeader('x-multi', ['one', 'two'])
      res.end()
    }
    const response = await nodeFetch(`${base}/headers`)
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(response.headers.get('x-multi')).toBe('one, two')
  })

  it.each([204, 304])('gives a %i answer a null body', async (status) => {
    handler = (_req, res) => {
      res.writeHead(status)
      res.end()
    }
    const response = await nodeFetch(`${base}/empty`)
    expect(response.status).toBe(status)
    expect(response.body).toBeNull()
  })

  it('gives a HEAD answer a null body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '42' })
      res.end()
    }
    const response = await nodeFetch(`${base}/head`, { method: 'HEAD' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-length')).toBe('42')
    expect(response.body).toBeNull()
  })

  it('reuses one keep-alive connection for calls in sequence', async () => {
    handler = (_req, res) => res.end('ok')
    // Two calls to warm up: undici's pool counts a connection that was being opened as busy until
    // just after its first answer, so the call right after that one may open a second.
    await (await nodeFetch(`${base}/warm`)).text()
    await (await nodeFetch(`${base}/warm`)).text()
    const before = connections
    for (let i = 0; i < 5; i++) expect(await (await nodeFetch(`${base}/again`)).text()).toBe('ok')
    expect(connections).toBe(before)
  })

  it('rejects with the TimeoutError of the signal and cuts the request when the deadline passes', async () => {
    handler = (req) => {
      req.socket.once('close', () => seen.closed.push(true))
    }
    const error = await nodeFetch(`${base}/hang`, { signal: AbortSignal.timeout(100) }).catch((e) => e)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe('TimeoutError')
    await sleep(50)
    expect(seen.closed).toEqual([true])
  })

  it('errors the body stream with the reason when aborted while the answer streams', async () => {
    handler = (_req, res) => {
      res.writeHead(200)
      res.write('partial')
    }
    const controller = new AbortController()
    const response = await nodeFetch(`${base}/stall`, { signal: controller.signal })
    const reader = response.body?.getReader()
    expect(new TextDecoder().decode((await reader?.read())?.value)).toBe('partial')
    const reason = new DOMException('gave up', 'TimeoutError')
    controller.abort(reason)
    await expect(reader?.read()).rejects.toBe(reason)
  })

  it('sends credentials in the URL as Basic authentication, and reaches IPv6 literals', async () => {
    let seenAuth: string | undefined
    handler = (req, res) => {
      seenAuth = req.headers.authorization
      res.end('ok')
    }
    const withCredentials = base.replace('http://', 'http://engine:p%40ss@')
    expect(await (await nodeFetch(`${withCredentials}/auth`)).text()).toBe('ok')
    expect(seenAuth).toBe(`Basic ${Buffer.from('engine:p@ss').toString('base64')}`)
    const error = await nodeFetch('http://[::1]:9/nothing').catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  it('rejects at once with the reason of an already aborted signal', async () => {
    const reason = new Error('already')
    await expect(nodeFetch(`${base}/never`, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
  })

  it('rejects with "fetch failed" when the connection is refused', async () => {
    const port = await freePort()
    const error = await nodeFetch(`http://127.0.0.1:${port}/`).catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
    expect(((error as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED')
  })

  it('errors the body when the server drops the connection mid-answer', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': String(1024 * 1024) })
      res.write('short')
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const response = await nodeFetch(`${base}/cut`)
    await expect(response.text()).rejects.toThrow()
  })
})

describe('the Node forwarder reading small answers whole', () => {
  it('hands a small answer of known length on as bytes, with the buffered-body hint', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '11' })
      res.write('{"ok":')
      setTimeout(() => res.end('true}'), 10)
    }
    const response = await nodeFetch(`${base}/small`)
    expect(new TextDecoder().decode(bufferedBody(response))).toBe('{"ok":true}')
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({ ok: true })
  })

  it.each([
    [
      'chunked',
      (res: ServerResponse) => {
        res.write('no ')
        res.end('length')
      },
    ],
    [
      'over 64 KiB',
      (res: ServerResponse) => {
        res.setHeader('content-length', String(64 * 1024 + 1))
        res.end(Buffer.alloc(64 * 1024 + 1, 97))
      },
    ],
  ])('streams an answer that is %s (no hint)', async (_kind, answer) => {
    handler = (_req, res) => answer(res)
    const response = await nodeFetch(`${base}/stream`)
    expect(bufferedBody(response)).toBeUndefined()
    expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0)
  })

  it('reads a longer answer whole when the caller says it reads it whole anyway, up to its limit', async () => {
    const big = Buffer.alloc(200 * 1024, 98)
    handler = (_req, res) => {
      res.setHeader('content-length', String(big.byteLength))
      res.end(big)
    }
    const whole = await nodeFetch(`${base}/whole`, { [READ_WHOLE]: 256 * 1024 } as RequestInit)
    expect(bufferedBody(whole)?.byteLength).toBe(big.byteLength)
    const streamed = await nodeFetch(`${base}/whole`, { [READ_WHOLE]: 100 * 1024 } as RequestInit)
    expect(bufferedBody(streamed)).toBeUndefined()
    expect((await streamed.arrayBuffer()).byteLength).toBe(big.byteLength)
  })

  it('decodes a content-coded small answer rather than passing its raw bytes', async () => {
    const packed = gzipSync('hello, decoded')
    handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(packed.byteLength) })
      res.end(packed)
    }
    const response = await nodeFetch(`${base}/gz`)
    expect(bufferedBody(response)).toBeUndefined()
    expect(await response.text()).toBe('hello, decoded')
  })

  it('rejects with the TimeoutError when the deadline passes while a small answer is read', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('only part')
    }
    const error = await nodeFetch(`${base}/slow-small`, { signal: AbortSignal.timeout(100) }).catch((e) => e)
    expect((error as DOMException).name).toBe('TimeoutError')
  })

  it('rejects with "fetch failed" when the server drops the connection during a small answer', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' })
      res.write('short')
      setTimeout(() => res.socket?.destroy(), 20)
    }
    const error = await nodeFetch(`${base}/cut-small`).catch((e) => e)
    expect(error).toBeInstanceOf(TypeError)
    expect((error as TypeError).message).toBe('fetch failed')
  })

  it('keeps repeated Set-Cookie values of a small answer apart', async () => {
    handler = (_req, res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2'])
      res.setHeader('content-length', '2')
      res.end('ok')
    }
    const response = await nodeFetch(`${base}/cookies`)
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2'])
    expect(await response.text()).toBe('ok')
  })
})

describe('the Node entry forwarding through it', () => {
  it('passes the task proxy through and maps refused and slow upstreams to 502 and 504', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/api/slow')) return
      if (req.url?.startsWith('/api/stall')) {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('[1,')
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ path: req.url }))
    }
    const flowgate = await serveNode({
      config: resolveConfig({
        env: {
          FLOWGATE_SERVER_PORT: '0',
          FLOWGATE_TASK_PROXY_PORT: '0',
          FLOWGATE_TASK_PROXY_TENANTS: 'acme',
          FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
          FLOWGATE_CONDUCTOR_URL: base,
          FLOWGATE_CONDUCTOR_TIMEOUT_MS: '200',
          FLOWGATE_LOG_LEVEL: 'silent',
        },
      }).config,
      logger: createLogger({ level: 'silent' }),
    })
    try {
      const passed = await fetch(`${flowgate.taskProxyUrl}/api/queue/sizes?x=1`)
      expect(passed.status).toBe(200)
      expect(await passed.json()).toEqual({ path: '/api/queue/sizes?x=1' })
      expect((await fetch(`${flowgate.taskProxyUrl}/api/slow`)).status).toBe(504)
      // The deadline still covers a body streaming after the handler has answered.
      const stalled = await fetch(`${flowgate.taskProxyUrl}/api/stall`)
      expect(stalled.status).toBe(200)
      await expect(stalled.text()).rejects.toThrow()
    } finally {
      await flowgate.close()
    }
    const refused = await serveNode({
      config: resolveConfig({
        env: {
          FLOWGATE_SERVER_PORT: '0',
          FLOWGATE_TASK_PROXY_PORT: '0',
          FLOWGATE_TASK_PROXY_TENANTS: 'acme',
          FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
          FLOWGATE_CONDUCTOR_URL: `http://127.0.0.1:${await freePort()}`,
          FLOWGATE_LOG_LEVEL: 'silent',
        },
      }).config,
      logger: createLogger({ level: 'silent' }),
    })
    try {
      expect((await fetch(`${refused.taskProxyUrl}/api/anything`)).status).toBe(502)
    } finally {
      await refused.close()
    }
  })
})
