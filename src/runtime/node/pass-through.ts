/**
 * @module The task proxy's direct pass-through at the Node listener: a body-less GET that
 * `direct.passes` is served from node:http's own request and response and sent to the engine
 * with undici's `request` (engine-get.ts), without the Request, signal, fetch and Response
 * objects that the adapter and the portable path build for every request (on Node they were most
 * of what flowgate cost over a bare proxy; docs/PERFORMANCE.md). The rules are the portable ones,
 * shared with `DirectPassThrough.serve`: the header allow-lists both ways (forward.ts), the request
 * id, the deadline and the client's abort, which answers are read whole (fetch-response.ts),
 * the error answers, metrics and access line (`DirectPassThrough.failure` and `record`). Everything
 * else goes to the app as before.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pipeline, Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { TLSSocket } from 'node:tls'
import type { Dispatcher } from 'undici'
import { AppError, problemResponse } from '../../errors.ts'
import { requestIdFrom } from '../../middleware/request-id.ts'
import type { Logger } from '../../ops/logger.ts'
import { bufferedBody, keptHeaders } from '../../proxy/buffered-body.ts'
import { allowedResponseHeaders, outboundHeaders } from '../../proxy/forward.ts'
import { type DirectPassThrough, plainHost, rawTarget } from '../../task-proxy/index.ts'
import { engineGet, engineOrigin } from './engine-get.ts'
import { bufferable, decoded, NULL_BODY, readBodyWhole, SMALL_BODY } from './fetch-response.ts'

/** Serves `req` when it takes the direct path and returns true; false leaves it to the app. */
export type NodeDirect = (req: IncomingMessage, res: ServerResponse) => boolean

export function nodePassThrough(
  direct: DirectPassThrough,
  logger: Logger,
  agentFor: (protocol: string) => Dispatcher
): NodeDirect {
  const origin = engineOrigin(direct.engine.baseUrl, agentFor)
  const { timeoutMs } = direct.engine
  return (req, res) => {
    const target = req.url ?? ''
    const host = req.headers.host ?? ''
    // Anything unusual (target, Host) goes to the adapter, which validates and normalises it as for
    // every route: passesDirectly refuses what URL parsing would change.
    if (!plainHost(host)) return false
    const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http'
    const url = `${scheme}://${host}${target}`
    if (!direct.passes(req.method ?? '', url)) return false
    passThrough(req, res, url, target)
    return true
  }

  function passThrough(req: IncomingMessage, res: ServerResponse, url: string, target: string): void {
    const started = performance.now()
    const incoming = req.headers
    const inboundId = incoming['x-request-id']
    const requestId = requestIdFrom(typeof inboundId === 'string' ? inboundId : undefined)
    const path = rawTarget(url).path
    const headers = outboundHeaders({ header: (name) => single(incoming[name]), requestId, url })
    const answered = (status: number) => direct.record({ requestId, path, status, started })
    const failed = (error: Error, clientGone: boolean) => {
      const response = direct.failure(error, requestId, clientGone, () => AbortSignal.abort(error))
      answered(response.status)
      writeResponse(res, response)
    }
    const call = engineGet(origin, target, headers, timeoutMs, res, {
      failed,
      answer(answer) {
        const status = answer.statusCode ?? 502
        const out = allowedResponseHeaders((name) => single(answer.headers[name]))
        out['x-request-id'] = requestId
        const length = answer.headers['content-length']
        if (length !== undefined && answer.headers['content-encoding'] === undefined) {
          out['content-length'] = length
        }
        if (bufferable(answer, 'GET', SMALL_BODY)) {
          const failed = (cause: Error) => call.fail(new TypeError('fetch failed', { cause }))
          readBodyWhole(
            answer,
            Number(length),
            (bytes) => {
              call.finished()
              if (writeHead(res, status, out, requestId)) {
                res.end(bytes)
                answered(status)
              } else answered(500)
            },
            failed
          )
          return
        }
        if (!writeHead(res, status, out, requestId)) {
          answered(500)
          call.finished()
          answer.destroy()
          return
        }
        answered(status)
        if (NULL_BODY.has(status)) {
          answer.resume()
          call.finished()
          res.end()
          return
        }
        // Backpressure both ways; the deadline or the client gone cuts the engine's body (see
        // engineGet), a body failing mid-answer cuts the connection (the status is already sent).
        pipeline(decoded(answer), res, () => call.finished())
      },
    })
  }

  /**
   * Writes the status and headers; a status outside 200-599 (or one Node refuses) gets a 500
   * problem instead, and the process goes on. False when the answer was replaced so.
   */
  function writeHead(
    res: ServerResponse,
    status: number,
    headers: Record<string, string>,
    requestId: string
  ) {
    try {
      // The statuses a fetch Response can carry, as on the other runtimes: Node would write up to 999.
      if (status < 200 || status > 599) throw new RangeError(`the engine answered with status ${status}`)
      res.writeHead(status, headers)
      return true
    } catch (error) {
      logger.error('direct pass-through could not answer', { requestId, error })
      writeResponse(res, problemResponse(new AppError('FG_ERR_INTERNAL'), requestId))
      return false
    }
  }
}

/** A header as one string (node:http keeps only Set-Cookie as a list; a list is joined as Headers does). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
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
