/**
 * @module A `fetch` for the Node entry over undici's `request` (the Node project's HTTP client),
 * through one keep-alive `Agent`: the entry injects it as `deps.fetch`, and the task proxy's direct
 * pass-through sends its GETs through the same agent (engine-get.ts). undici's own `fetch`
 * builds the WHATWG objects of the spec for every call, which costs more than a forwarder needs
 * (docs/PERFORMANCE.md). Bodies stream both ways; the abort signal cuts the call and rejects with
 * the signal's reason (a TimeoutError stays one, forward.ts maps it to 504); network failures
 * reject with `TypeError('fetch failed', { cause })` as fetch does. Differences from fetch, on
 * purpose for a proxy: redirects are returned, not followed (`redirect: 'error'` still rejects on
 * one); no `accept-encoding` is added (an encoded answer is still decoded); FormData and Blob
 * bodies are handed to the platform fetch.
 */
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import { Agent, type Dispatcher } from 'undici'
import { bufferedResponse, READ_WHOLE, type ReadWholeInit } from '../../proxy/buffered-body.ts'
import { credentialsOf } from '../engine-url.ts'
import {
  bufferable,
  type EngineAnswer,
  headerRecord,
  readBodyWhole,
  SMALL_BODY,
  toResponse,
} from './fetch-response.ts'

export interface UndiciFetchOptions {
  /** Connections per upstream origin (in use + idle); further calls queue. */
  maxSockets?: number
}

export interface UndiciFetch {
  fetch: typeof fetch
  /** The keep-alive agent `fetch` uses, for callers that make their own requests (either protocol). */
  agent(protocol: string): Dispatcher
  /** Closes the agent's connections (shutdown). */
  close(): void
}

/** Methods sent once more when the connection fails before any answer (a kept-alive one the server closed). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])

type Body = Buffer | ReadableStream<Uint8Array> | null

/**
 * Creates the fetch and its agent.
 * @example const { fetch, close } = createUndiciFetch(); createApp({ ...deps, fetch })
 */
export function createUndiciFetch(options: UndiciFetchOptions = {}): UndiciFetch {
  const agent = new Agent({ connections: options.maxSockets ?? 256, keepAliveTimeout: 4_000 })

  async function undiciFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
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
    const headers = outgoingHeaders(init?.headers ?? request?.headers)
    const body = toBody(rawBody, headers)
    if (body !== null && (method === 'GET' || method === 'HEAD')) {
      throw new TypeError('Request with GET/HEAD method cannot have body.')
    }
    if (body instanceof Buffer) headers['content-length'] = String(body.byteLength)
    else if (body === null && (method === 'POST' || method === 'PUT' || method === 'PATCH')) {
      headers['content-length'] = '0'
    }
    // Credentials in the engine URL become Basic authentication, as node:http does for a URL.
    const credentials = credentialsOf(url)
    if (credentials !== undefined) {
      headers.authorization ??= `Basic ${Buffer.from(credentials).toString('base64')}`
    }
    const readWhole = Math.max(SMALL_BODY, (init as ReadWholeInit | undefined)?.[READ_WHOLE] ?? 0)
    const attempt: Attempt = { url, method, headers, body, signal, readWhole }
    const response = await send(agent, attempt).catch((error: unknown) => {
      const retry = isStale(error) && IDEMPOTENT.has(method) && !(body instanceof ReadableStream)
      if (!retry) throw error
      return send(agent, attempt)
    })
    if (init?.redirect === 'error' && response.status >= 300 && response.status < 400) {
      await response.body?.cancel()
      throw new TypeError('fetch failed', { cause: new Error('unexpected redirect') })
    }
    return response
  }

  return {
    fetch: undiciFetch as typeof fetch,
    agent: () => agent,
    close() {
      void agent.destroy().catch(() => {})
    },
  }
}

interface Attempt {
  url: URL
  method: string
  headers: Record<string, string>
  body: Body
  signal: AbortSignal | undefined
  /** Answers of known length up to this size are read whole (see SMALL_BODY). */
  readWhole: number
}

/** A connection that failed before any answer: `TypeError('fetch failed')` whose cause says why. */
class ConnectionFailure extends TypeError {}

async function send(agent: Dispatcher, attempt: Attempt): Promise<Response> {
  const { url, method, headers, body, signal, readWhole } = attempt
  let answer: Dispatcher.ResponseData
  try {
    answer = await agent.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: method as Dispatcher.HttpMethod,
      headers,
      body: body instanceof ReadableStream ? Readable.fromWeb(body as NodeReadableStream<Uint8Array>) : body,
      signal: signal ?? null,
    })
  } catch (error) {
    if (signal?.aborted) throw signal.reason
    throw new ConnectionFailure('fetch failed', { cause: error })
  }
  const res = engineAnswer(answer)
  if (!bufferable(res, method, readWhole))
    return toResponse(
      res,
      method,
      () => {},
      () => signal?.reason
    )
  // A small answer of known length is read whole before the call resolves (see SMALL_BODY).
  return new Promise<Response>((resolve, reject) => {
    readBodyWhole(
      res,
      Number(res.headers['content-length']),
      (bytes) => resolve(bufferedResponse(bytes, { status: answer.statusCode, headers: headerRecord(res) })),
      (error) => reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }))
    )
  })
}

/** undici's answer as the answer helpers take it: its body stream carrying status and headers. */
export function engineAnswer(answer: Dispatcher.ResponseData): EngineAnswer {
  return Object.assign(answer.body, {
    statusCode: answer.statusCode,
    statusMessage: (answer as { statusText?: string }).statusText,
    headers: answer.headers,
  }) as unknown as EngineAnswer
}

/** What a kept-alive connection the server had closed gives on reuse: reset, broken pipe, closed. */
export function isStale(error: unknown): boolean {
  if (!(error instanceof ConnectionFailure)) return false
  const code = (error.cause as { code?: string } | undefined)?.code
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET'
}

/** Request headers as undici takes them: lower-case names, repeated values joined as Headers does. */
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
