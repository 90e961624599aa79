/**
 * @module Calls the upstream engine: outbound header allow-list (client credentials never leave),
 * x-forwarded-* and x-request-id, a deadline and the client's abort signal on every call, and
 * failures mapped to 502/504. Response headers are filtered to an allow-list as well.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import type { Logger } from '../ops/logger.ts'
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

/** What a call takes from the client's request (a Hono context gives it; see `callerOf`). */
export interface Caller {
  /** A request header (lower-case name). */
  header(name: string): string | undefined
  requestId: string
  /** The request's full URL as received. */
  url: string
  /** Aborted when the client goes away. */
  signal: AbortSignal
  logger: Logger | undefined
}

export interface Upstream {
  /** The engine's base URL, without a trailing slash. */
  readonly baseUrl: string
  /** The deadline of a call that names none. */
  readonly timeoutMs: number
  /** Performs the call; throws AppError 502/504 when the engine fails to answer. */
  call(c: Context<AppEnv>, call: UpstreamCall): Promise<Response>
  /** The same for a request served without a Hono context (the task proxy's pass-through). */
  callAs(caller: Caller, call: UpstreamCall): Promise<Response>
}

/** The caller of a request served by hono. */
export function callerOf(c: Context<AppEnv>): Caller {
  return {
    header: (name) => c.req.header(name),
    requestId: c.get('requestId'),
    url: c.req.url,
    signal: c.req.raw.signal,
    logger: c.get('logger'),
  }
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const base = options.baseUrl.replace(/\/+$/, '')
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  const upstream: Upstream = {
    baseUrl: base,
    timeoutMs: options.timeoutMs,
    call: (c, call) => upstream.callAs(callerOf(c), call),
    async callAs(caller, call) {
      const search = call.query === undefined ? '' : call.query.toString()
      const url = new URL(`${base}${call.path}${search === '' ? '' : `?${search}`}`)
      // A plain record: the header names are known lower-case ones, and a Headers object would
      // only be taken apart again by the forwarder.
      const headers = outboundHeaders(caller)
      let body: BodyInit | null = null
      if (call.json !== undefined) {
        body = JSON.stringify(call.json)
        headers['content-type'] = 'application/json'
      } else if (call.body !== undefined && call.body !== null) {
        body = call.body
        headers['content-type'] = call.contentType ?? 'application/octet-stream'
      }
      const timeoutMs = call.timeoutMs ?? options.timeoutMs
      const { signal, release } = callSignal(caller.signal, timeoutMs)
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
        caller.logger?.debug('upstream', {
          requestId: caller.requestId,
          method: init.method,
          path: call.path,
          status: response.status,
          ms: Math.round(performance.now() - started),
        })
        return releasedAtEnd(response, release)
      } catch (error) {
        release()
        throw upstreamError(error, caller.signal.aborted)
      }
    },
  }
  return upstream
}

/**
 * The headers a call sends: the allow-listed client headers, the request id and x-forwarded-*
 * (a plain record: the names are known lower-case ones, and a Headers object would only be taken
 * apart again by the forwarder).
 */
export function outboundHeaders(
  caller: Pick<Caller, 'header' | 'requestId' | 'url'>
): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of REQUEST_HEADERS) {
    const value = caller.header(name)
    if (value !== undefined) headers[name] = value
  }
  headers['x-request-id'] = caller.requestId
  const incoming = caller.url
  headers['x-forwarded-proto'] = incoming.slice(0, incoming.indexOf(':'))
  headers['x-forwarded-host'] = caller.header('host') ?? new URL(incoming).host
  return headers
}

/**
 * What a failed call throws: the error itself when the client went away (the request ends with
 * 499), else 504 for a deadline (a `TimeoutError`) and 502 for anything else.
 */
export function upstreamError(error: unknown, clientGone: boolean): unknown {
  if (clientGone) return error
  if (error instanceof Error && error.name === 'TimeoutError') {
    return new AppError('FG_ERR_UPSTREAM_TIMEOUT', { cause: error })
  }
  return new AppError('FG_ERR_UPSTREAM_UNAVAILABLE', { cause: error })
}

/** The engine's response headers a client may see (a plain record: cheaper to build and to send). */
export function responseHeaders(response: Response): Record<string, string> {
  return allowedResponseHeaders((name) => headerOf(response, name))
}

/** The same from any header lookup (a runtime's own answer object). */
export function allowedResponseHeaders(
  lookup: (name: string) => string | null | undefined
): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const name of RESPONSE_HEADERS) {
    const value = lookup(name)
    if (value !== null && value !== undefined) headers[name] = value
  }
  return headers
}
