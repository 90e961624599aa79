/**
 * @module The task proxy's pass-through: every worker request that is not a poll goes to Conductor
 * as the worker sent it (path and query untouched, the header allow-lists, a deadline, the client's
 * abort) and the answer comes back with its own body. Body-less GETs take a direct path around
 * hono (`directPassThrough`): the most frequent requests of a worker fleet then cost what the
 * forwarding costs, with the same request id, metrics, access line and error answers that the app's
 * middleware gives every other request (tested side by side in task-proxy-pass.test.ts).
 */
import type { Config } from '../config/schema.ts'
import { writeAccessLine } from '../middleware/access-log.ts'
import { errorResponse } from '../middleware/errors.ts'
import type { RequestRecorder } from '../middleware/metrics.ts'
import { requestIdFrom } from '../middleware/request-id.ts'
import type { Logger } from '../ops/logger.ts'
import { bufferedBody, bufferedResponse, headerOf } from '../proxy/buffered-body.ts'
import { responseHeaders, type Upstream, upstreamError } from '../proxy/forward.ts'
import { type PassThroughMode, passedInMode } from './worker-routes.ts'

/** The route pattern of the pass-through (its metrics and access-log label). */
export const PASS_THROUGH_ROUTE = '/api/*'

/** The path and query of a request URL exactly as sent (c.req.path would be percent-decoded). */
export function rawTarget(url: string): { path: string; query: string } {
  const pathAt = url.indexOf('/', url.indexOf('//') + 2)
  const queryAt = url.indexOf('?', pathAt)
  return queryAt === -1
    ? { path: url.slice(pathAt), query: '' }
    : { path: url.slice(pathAt, queryAt), query: url.slice(queryAt + 1) }
}

/**
 * Conductor's answer as the worker gets it: `headers` (the allow-listed ones and the request id)
 * plus the body's length when it passes unchanged (not when the runtime decoded a coded body). An
 * answer the Node forwarder read whole goes out as bytes, which the Node adapter writes at once;
 * any other body is passed on as the runtime's own stream, which Bun, Deno and Workers pipe
 * natively (reading it into JavaScript first costs them more than it saves).
 */
export function passedOn(answer: Response, headers: Record<string, string>): Response {
  const length = headerOf(answer, 'content-length')
  if (length !== null && headerOf(answer, 'content-encoding') === null) headers['content-length'] = length
  const whole = bufferedBody(answer)
  return whole
    ? bufferedResponse(whole, { status: answer.status, headers })
    : new Response(answer.body, { status: answer.status, headers })
}

export interface DirectPassThroughOptions {
  config: Readonly<Pick<Config, 'task_proxy' | 'conductor' | 'log'>>
  /** The task proxy's logger (its lines carry the listener); a request's lines add its id. */
  logger: Logger
  record: RequestRecorder
  /** The one Conductor upstream of the app (shared services). */
  upstream: Upstream
}

export interface DirectPassThrough {
  /**
   * Whether `request` is one hono would route to the pass-through and that has no body: a GET
   * below `/api/` that is not a poll, its path free of `%` and `//` (which routing would read
   * differently), and a call `task_proxy.pass_through` passes on. Anything else goes through the
   * app (which refuses closed calls).
   */
  accepts(request: Request): boolean
  /** The same rule on a method and a full URL (an entry that reads requests itself). */
  passes(method: string, url: string): boolean
  serve(request: Request): Promise<Response>
  /**
   * For a runtime entry that makes the engine call itself (node-pass-through.ts,
   * bun-pass-through.ts): the engine's base URL (no trailing `/`) and the call's deadline.
   */
  readonly engine: { baseUrl: string; timeoutMs: number }
  /** Ends a request the entry served: its metrics and access line, as `serve` records them. */
  record(ended: { requestId: string; path: string; status: number; started: number }): void
  /**
   * The answer to a call that failed (problem+json 502 or 504, or 499 when the client went away),
   * logged as `serve` logs it. `signal` is asked only for an error that may be the client's abort.
   */
  failure(error: unknown, requestId: string, clientGone: boolean, signal: () => AbortSignal): Response
}

/** A `.` or `..` path segment, which URL parsing would resolve (and routing would see resolved). */
const DOT_SEGMENT = /\/\.\.?(?:\/|$)/

/**
 * A request target made only of characters that reach routing unchanged (RFC 3986 unreserved and
 * sub-delims, `:@/?`): no `%`, `#`, backslash, space or non-ASCII byte, which URL parsing would
 * decode, drop or rewrite (a runtime may hand them on raw: Bun keeps a `#` in `request.url`).
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*$/
/** An authority that is a name or an address with an optional port: nothing URL parsing would read as path. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/
const SCHEME = /^https?:\/\//

/**
 * Whether a Host header is plain (see PLAIN_HOST). An entry that has the header checks it too: a
 * URL built from an odd one (`h/api/x?`) can look plain while its path is not the one sent.
 */
export function plainHost(host: string | null | undefined): boolean {
  return host !== null && host !== undefined && PLAIN_HOST.test(host)
}

/**
 * The rule of `accepts`, on a method and a full URL: the path as sent must be the one routing
 * would see, so nothing that URL parsing changes (`%`, `#`, `//`, a backslash, dot segments, an
 * odd Host that would make the URL relative or move its path), and a call `mode` passes on.
 */
export function passesDirectly(method: string, url: string, mode: PassThroughMode = 'worker'): boolean {
  if (method !== 'GET') return false
  const scheme = SCHEME.exec(url)
  if (!scheme) return false
  const pathAt = url.indexOf('/', scheme[0].length)
  if (pathAt === -1 || !PLAIN_HOST.test(url.slice(scheme[0].length, pathAt))) return false
  const { path } = rawTarget(url)
  return (
    PLAIN_TARGET.test(url.slice(pathAt)) &&
    path.startsWith('/api/') &&
    !path.startsWith('/api/tasks/poll') &&
    !path.includes('//') &&
    !DOT_SEGMENT.test(path) &&
    passedInMode(mode, method, path)
  )
}

export function directPassThrough(options: DirectPassThroughOptions): DirectPassThrough {
  const { config, logger, upstream } = options
  const { baseUrl, timeoutMs } = upstream
  const accessLog = config.log.access
  const mode = config.task_proxy.pass_through
  const passes = (method: string, url: string) => passesDirectly(method, url, mode)
  const record: DirectPassThrough['record'] = ({ requestId, path, status, started }) => {
    const ms = performance.now() - started
    options.record('GET', PASS_THROUGH_ROUTE, status, ms / 1000)
    if (accessLog) {
      writeAccessLine(logger.child({ requestId }), {
        method: 'GET',
        route: PASS_THROUGH_ROUTE,
        path,
        status,
        ms: Math.round(ms * 10) / 10,
      })
    }
  }
  const failure: DirectPassThrough['failure'] = (error, requestId, clientGone, signal) =>
    errorResponse(upstreamError(error, clientGone), logger.child({ requestId }), requestId, signal)
  return {
    accepts: (request) => passes(request.method, request.url),
    passes,
    async serve(request) {
      const started = performance.now()
      const headers = request.headers
      const requestId = requestIdFrom(headers.get('x-request-id'))
      const target = rawTarget(request.url)
      let response: Response
      try {
        const answer = await upstream.callAs(
          {
            header: (name) => headers.get(name) ?? undefined,
            requestId,
            url: request.url,
            // Read only by the call: the Node adapter makes the signal on first access.
            get signal() {
              return request.signal
            },
            logger,
          },
          { method: 'GET', path: target.path, query: target.query }
        )
        const out = responseHeaders(answer)
        out['x-request-id'] = requestId
        response = passedOn(answer, out)
      } catch (error) {
        // callAs has already mapped the engine's failures (AppError); a client gone stays its abort.
        response = errorResponse(error, logger.child({ requestId }), requestId, () => request.signal)
      }
      record({ requestId, path: target.path, status: response.status, started })
      return response
    },
    engine: { baseUrl, timeoutMs },
    record,
    failure,
  }
}
