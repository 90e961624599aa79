/**
 * @module A `fetch` for the Node entry, built on node:http(s) over bounded keep-alive agents: on
 * Node the WHATWG fetch machinery (undici) costs more CPU and memory per call than node:http, so
 * the entry injects this one as `deps.fetch` (docs/PERFORMANCE.md compares both in one run).
 * Bodies stream both ways; the abort signal destroys the request and rejects with the signal's
 * reason (a TimeoutError stays one, forward.ts maps it to 504); network failures reject with
 * `TypeError('fetch failed', { cause })` as undici does. Differences from fetch, on purpose for
 * a proxy: redirects are returned, not followed (`redirect: 'error'` still rejects on one); no
 * `accept-encoding` is added (an encoded answer is still decoded); FormData and Blob bodies are
 * handed to the platform fetch.
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { pipeline, Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { bufferedResponse, READ_WHOLE, type ReadWholeInit } from '../../proxy/buffered-body.ts'
import { credentialsOf } from '../engine-url.ts'
import { bufferable, headerRecord, readBodyWhole, SMALL_BODY, toResponse } from './fetch-response.ts'

export interface NodeFetchOptions {
  /** Sockets per upstream host:port (in use + idle); further calls queue. */
  maxSockets?: number
  /** Idle sockets kept per host:port. */
  maxFreeSockets?: number
}

export interface NodeFetch {
  fetch: typeof fetch
  /** The keep-alive agent `fetch` uses for a protocol (`http:` or `https:`), for callers that make their own requests. */
  agent(protocol: string): HttpAgent
  /** Destroys the agents' sockets (shutdown). */
  close(): void
}

/** Methods retried once when a reused keep-alive socket turns out closed by the server. */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

type Body = Buffer | ReadableStream<Uint8Array> | null

/**
 * Creates the fetch and its agents.
 * @example const { fetch, close } = createNodeFetch(); createApp({ ...deps, fetch })
 */
export function createNodeFetch(options: NodeFetchOptions = {}): NodeFetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    maxFreeSockets: options.maxFreeSockets ?? 64,
    scheduling: 'lifo' as const,
  }
  const http = new HttpAgent(agentOptions)
  const https = new HttpsAgent(agentOptions)

  async function nodeFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const request = input instanceof Request ? input : undefined
    const url = input instanceof URL ? input : new URL(request ? request.url : String(input))
    const signal = init?.signal ?? request?.signal ?? undefined
    signal?.throwIfAborted()
    const rawBody = init && 'body' in init ? init.body : request?.body
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${url.protocol}`) })
    }
    if (rawBody instanceof FormData || rawBody instanceof Blob) return fetch(input, init)
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase()
    const outgoing = outgoingHeaders(init?.headers ?? request?.headers)
    const body = toBody(rawBody, outgoing)
    if (body !== null && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body.')
    }
    if (body instanceof Buffer) outgoing['content-length'] = String(body.byteLength)
    else if (body === null && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      outgoing['content-length'] = '0'
    }
    const readWhole = Math.max(SMALL_BODY, (init as ReadWholeInit | undefined)?.[READ_WHOLE] ?? 0)
    const attempt = { url, method, headers: outgoing, body, signal, readWhole }
    const agent = url.protocol === 'https:' ? https : http
    const response = await send(attempt, agent).catch((error: unknown) => {
      const retry =
        error instanceof ReusedSocketError && IDEMPOTENT.has(method) && !(body instanceof ReadableStream)
      if (!retry) throw error
      return send(attempt, agent)
    })
    if (init?.redirect === 'error' && response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') })
    }
    return response
  }

  return {
    fetch: nodeFetch as typeof fetch,
    agent: (protocol) => (protocol === 'https:' ? https : http),
    close() {
      http.destroy()
      https.destroy()
    },
  }
}

/** A reused keep-alive socket was closed by the server before it answered: safe to retry once. */
class ReusedSocketError extends TypeError {}

interface Attempt {
  url: URL
  method: string
  headers: Record<string, string>
  body: Body
  signal: AbortSignal | undefined
  /** Answers of known length up to this size are read whole (see SMALL_BODY). */
  readWhole: number
}

function send(attempt: Attempt, agent: HttpAgent): Promise<Response> {
  const { url, method, headers, body, signal, readWhole } = attempt
  return new Promise<Response>((resolve, reject) => {
    const requestFn = url.protocol === 'https:' ? httpsRequest : httpRequest
    let settled = false
    let response: IncomingMessage | undefined
    const onAbort = () => {
      const reason: unknown = signal?.reason
      req.destroy(reason instanceof Error ? reason : new Error(String(reason)))
      // The body stream fails with the signal's reason itself (see webStream).
      response?.destroy()
      if (!settled) {
        settled = true
        reject(reason)
      }
    }
    const done = () => signal?.removeEventListener('abort', onAbort)
    // Options rather than the URL: node:http would convert the URL object on every call.
    const target = {
      protocol: url.protocol,
      hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
      port: url.port,
      path: `${url.pathname}${url.search}`,
      method,
      headers,
      agent,
      // Credentials in the engine URL become Basic authentication, as node:http does for a URL.
      ...(url.username || url.password ? { auth: credentialsOf(url) } : {}),
    }
    const req: ClientRequest = requestFn(target, (res) => {
      response = res
      if (!bufferable(res, method, readWhole)) {
        settled = true
        resolve(toResponse(res, method, done, () => signal?.reason))
        return
      }
      // A small answer of known length is read whole before the call resolves (see SMALL_BODY).
      const fail = (error: Error) => {
        if (settled) return
        settled = true
        done()
        // Destroyed by onAbort (which may run this first): the signal's reason, as fetch does.
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }))
      }
      readBodyWhole(
        res,
        Number(res.headers['content-length']),
        (bytes) => {
          if (settled) return
          settled = true
          done()
          resolve(bufferedResponse(bytes, { status: res.statusCode ?? 502, headers: headerRecord(res) }))
        },
        fail
      )
    })
    req.on('error', (error) => {
      if (settled) return
      settled = true
      done()
      const Failure = req.reusedSocket && isReset(error) ? ReusedSocketError : TypeError
      reject(new Failure('fetch failed', { cause: error }))
    })
    signal?.addEventListener('abort', onAbort, { once: true })
    if (body instanceof ReadableStream) {
      pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), req, () => {
        // Errors reach the request's 'error' listener (pipeline destroys it).
      })
    } else {
      req.end(body ?? undefined)
    }
  })
}

/** A connection reset or broken pipe: what a keep-alive socket the server closed gives on reuse. */
export function isReset(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ECONNRESET' || code === 'EPIPE'
}

/** Request headers as node:http takes them: lower-case names, repeated values joined as Headers does. */
function outgoingHeaders(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  if (init === undefined) return out
  const pairs: Iterable<[string, string]> | [string, string][] =
    init instanceof Headers
      ? init
      : Array.isArray(init)
        ? (init as [string, string][])
        : Object.entries(init as Record<string, string>)
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase()
    const existing = out[name]
    out[name] = existing === undefined ? String(value) : `${existing}, ${value}`
  }
  return out
}

/** The body fetch would send, with the content type fetch would add for strings and params. */
function toBody(body: BodyInit | null | undefined, headers: Record<string, string>): Body {
  if (body === null || body === undefined) return null
  if (typeof body === 'string') {
    headers['content-type'] ??= 'text/plain;charset=UTF-8'
    return Buffer.from(body)
  }
  if (body instanceof URLSearchParams) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded;charset=UTF-8'
    return Buffer.from(body.toString())
  }
  if (body instanceof ReadableStream) return body
  if (body instanceof ArrayBuffer) return Buffer.from(body)
  if (ArrayBuffer.isView(body)) return Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  throw new TypeError('unsupported request body')
}
