/**
 * @module Calls the upstream engine: outbound header allow-list (client credentials never leave),
 * x-forwarded-* and x-request-id, a deadline and the client's abort signal on every call, and
 * failures mapped to 502/504. Response headers are filtered to an allow-list as well.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { headerOf, READ_WHOLE, type ReadWholeInit } from './buffered-body.ts'
import { callSignal, releasedAtEnd } from './call-signal.ts'

/** Client headers that may reach the engine; everything else (Authorization, Cookie, hop-by-hop) is dropped. */
const REQUEST_HEADERS = [
  'accept',
  'accept-language',
  'if-match',
  'if-none-match',
  'traceparent',
  'tracestate',
]
/** Engine headers that may reach the client (RFC 9110 §7.6.1 hop-by-hop ones never do). */
const RESPONSE_HEADERS = [
  'content-type',
  'cache-control',
  'etag',
  'last-modified',
  'retry-after',
  'content-language',
]

export interface UpstreamOptions {
  baseUrl: string
  timeoutMs: number
  fetch?: typeof fetch
}

export interface UpstreamCall {
  method?: string
  /** Path below the base URL, starting with `/`. */
  path: string
  /** Parameters to send, or a query string passed on exactly as the client wrote it (no `?`). */
  query?: URLSearchParams | string
  /** Serialised as the JSON body. */
  json?: unknown
  /** A raw body, streamed as it is (with its content type). */
  body?: ReadableStream<Uint8Array> | string | null
  contentType?: string
  timeoutMs?: number
  /** The caller reads the whole answer (up to this many bytes): the forwarder may buffer it. */
  readWhole?: number
}

export interface Upstream {
  /** Performs the call; throws AppError 502/504 when the engine fails to answer. */
  call(c: Context<AppEnv>, call: UpstreamCall): Promise<Response>
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = options.baseUrl.replace(/\/+$/, '')
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  return {
    async call(c, call) {
      const search = call.query === undefined ? '' : call.query.toString()
      const url = new URL(`${base}${call.path}${search === '' ? '' : `?${search}`}`)
      // A plain record: the header names are known lower-case ones, and a Headers object would
      // only be taken apart again by the forwarder.
      const headers: Record<string, string> = {}
      for (const name of REQUEST_HEADERS) {
        const value = c.req.header(name)
        if (value !== undefined) headers[name] = value
      }
      headers['x-request-id'] = c.get('requestId')
      const incoming = c.req.url
      headers['x-forwarded-proto'] = incoming.slice(0, incoming.indexOf(':'))
      headers['x-forwarded-host'] = c.req.header('host') ?? new URL(incoming).host
      let body: BodyInit | null = null
      if (call.json !== undefined) {
        body = JSON.stringify(call.json)
        headers['content-type'] = 'application/json'
      } else if (call.body !== undefined && call.body !== null) {
        body = call.body
        headers['content-type'] = call.contentType ?? 'application/octet-stream'
      }
      const timeoutMs = call.timeoutMs ?? options.timeoutMs
      const { signal, release } = callSignal(c.req.raw.signal, timeoutMs)
      const started = performance.now()
      try {
        const init: ReadWholeInit & { duplex?: 'half' } = {
          method: call.method ?? 'GET',
          headers,
          body,
          signal,
        }
        if (call.readWhole !== undefined) init[READ_WHOLE] = call.readWhole
        if (body instanceof ReadableStream) init.duplex = 'half'
        const response = await doFetch(url, init)
        c.get('logger')?.debug('upstream', {
          method: init.method,
          path: call.path,
          status: response.status,
          ms: Math.round(performance.now() - started),
        })
        return releasedAtEnd(response, release)
      } catch (error) {
        release()
        if (c.req.raw.signal.aborted) throw error
        if (error instanceof Error && error.name === 'TimeoutError') {
          throw new AppError('FG_ERR_UPSTREAM_TIMEOUT', { cause: error })
        }
        throw new AppError('FG_ERR_UPSTREAM_UNAVAILABLE', { cause: error })
      }
    },
  }
}

/** The engine's response headers a client may see (a plain record: cheaper to build and to send). */
export function responseHeaders(response: Response): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of RESPONSE_HEADERS) {
    const value = headerOf(response, name)
    if (value !== null) headers[name] = value
  }
  return headers
}
