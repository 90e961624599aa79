/**
 * @module The task proxy's direct pass-through at the Node listener: a body-less GET that
 * `passesDirectly` is served from node:http's own request and response, without the Request,
 * signal and Response objects @hono/node-server builds for every request (on Node they were most
 * of what flowgate cost over a bare proxy; docs/PERFORMANCE.md). The rules are the portable ones —
 * `DirectPassThrough.forward` (header allow-lists, request id, deadline, the client's abort, error
 * answers, metrics, access line) — only the reading of the request and the writing of the answer
 * are Node's here. Everything else goes to the app as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { TLSSocket } from 'node:tls'
import { AppError, problemResponse } from '../errors.ts'
import { type DirectPassThrough, passesDirectly } from '../handlers/task-proxy-pass.ts'
import type { Logger } from '../lib/logger.ts'
import { requestIdFrom } from '../middleware/request-id.ts'
import { bufferedBody, keptHeaders } from '../proxy/buffered-body.ts'
import type { Caller } from '../proxy/forward.ts'

/** Serves `req` when it takes the direct path and returns true; false leaves it to the app. */
export type NodeDirect = (req: IncomingMessage, res: ServerResponse) => boolean

/**
 * A request target made only of characters that reach routing unchanged (RFC 3986 unreserved and
 * sub-delims, `:@/?`): no `%`, `#`, backslash, space or non-ASCII byte, which URL parsing would
 * decode, drop or rewrite. Dot segments are refused by `passesDirectly`.
 */
const PLAIN_TARGET = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*$/
/** A Host header that is a name or an address, with an optional port: nothing URL parsing would read as path. */
const PLAIN_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

export function nodePassThrough(direct: DirectPassThrough, logger: Logger): NodeDirect {
  return (req, res) => {
    const target = req.url ?? ''
    const host = req.headers.host ?? ''
    // Anything unusual goes to the adapter, which validates and normalises it as for every route.
    if (!PLAIN_TARGET.test(target) || !PLAIN_HOST.test(host)) return false
    const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http'
    const url = `${scheme}://${host}${target}`
    if (!passesDirectly(req.method ?? '', url)) return false
    const caller = callerOf(req, res, url, logger)
    direct
      .forward(caller)
      .then((response) => writeResponse(res, response))
      .catch((error: unknown) => {
        // forward answers every failure of the call itself; this is an answer Node refuses to
        // write (an engine status outside 100-999, say): a 500 problem, and the process goes on.
        logger.error('direct pass-through could not answer', { requestId: caller.requestId, error })
        if (res.headersSent) {
          res.destroy()
          return
        }
        writeResponse(res, problemResponse(new AppError('FG_ERR_INTERNAL'), caller.requestId))
      })
    return true
  }
}

function callerOf(req: IncomingMessage, res: ServerResponse, url: string, logger: Logger): Caller {
  const headers = req.headers
  let signal: AbortSignal | undefined
  return {
    header(name) {
      const value = headers[name]
      return Array.isArray(value) ? value.join(', ') : value
    },
    requestId: requestIdFrom(
      typeof headers['x-request-id'] === 'string' ? headers['x-request-id'] : undefined
    ),
    url,
    // Made on first access (the call asks once): aborted when the connection closes before the
    // answer has been written, as the adapter's request signal is.
    get signal() {
      if (!signal) {
        const controller = new AbortController()
        signal = controller.signal
        res.once('close', () => {
          if (!res.writableFinished) controller.abort(new DOMException('The client went away', 'AbortError'))
        })
      }
      return signal
    },
    logger,
  }
}

/**
 * Writes an answer: one read whole (the engine's small answers) with its header record in one go;
 * any other (a streamed body, a problem answer) from its Headers and body stream, with backpressure.
 */
function writeResponse(res: ServerResponse, response: Response): void {
  const bytes = bufferedBody(response)
  const record = keptHeaders(response)
  if (bytes && record) {
    res.writeHead(response.status, record)
    res.end(bytes)
    return
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of response.headers) headers[name] = value
  res.writeHead(response.status, headers)
  if (!response.body) {
    res.end()
    return
  }
  // Backpressure both ways; a client gone cancels the engine's body, a body failing mid-answer
  // cuts the connection (the status is already sent).
  pipeline(Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>), res, () => {})
}
