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
import type { TLSSocket } from 'node:tls'
import { type DirectPassThrough, passesDirectly } from '../handlers/task-proxy-pass.ts'
import type { Logger } from '../lib/logger.ts'
import { requestIdFrom } from '../middleware/request-id.ts'
import { bufferedBody, keptHeaders } from '../proxy/buffered-body.ts'
import type { Caller } from '../proxy/forward.ts'

/** Serves `req` when it takes the direct path and returns true; false leaves it to the app. */
export type NodeDirect = (req: IncomingMessage, res: ServerResponse) => boolean

export function nodePassThrough(direct: DirectPassThrough, logger: Logger): NodeDirect {
  return (req, res) => {
    const url = fullUrl(req)
    if (!passesDirectly(req.method ?? '', url)) return false
    const answer = direct.forward(callerOf(req, res, url, logger))
    answer.then(
      (response) => writeResponse(res, response),
      (error: unknown) => {
        // forward answers every failure itself; this is a bug, not a request's fault.
        logger.error('direct pass-through failed', { error })
        res.destroy()
      }
    )
    return true
  }
}

/** The request's URL as the adapter gives it to the app: scheme, Host header, path as sent. */
function fullUrl(req: IncomingMessage): string {
  const scheme = (req.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http'
  return `${scheme}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`
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
  void pump(res, response.body)
}

async function pump(res: ServerResponse, body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (!body) {
    res.end()
    return
  }
  const reader = body.getReader()
  const onClose = () => {
    if (!res.writableFinished) reader.cancel().catch(() => {})
  }
  res.once('close', onClose)
  try {
    for (;;) {
      const chunk = await reader.read()
      if (chunk.done) break
      if (!res.write(chunk.value) && !res.destroyed) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go)
            res.off('close', go)
            resolve()
          }
          res.on('drain', go)
          res.on('close', go)
        })
      }
      if (res.destroyed) return
    }
    res.end()
  } catch {
    // The engine's body failed mid-answer: the status is sent, so the connection is cut.
    res.destroy()
  } finally {
    res.off('close', onClose)
  }
}
