/**
 * @module The task proxy's direct pass-through on Bun: a body-less GET that `passesDirectly`
 * accepts goes to a plain-http engine over bun-engine-pool.ts instead of Bun's fetch (which costs
 * more CPU per call; docs/PERFORMANCE.md). The rules are the portable ones, shared
 * with `DirectPassThrough.serve`: the header allow-lists both ways (forward.ts), the request id,
 * the deadline and the client's abort, the error answers, metrics and access line
 * (`DirectPassThrough.failure` and `record`). As with fetch, no Accept-Encoding is added and a
 * content-coded answer is decoded; credentials in the engine URL are sent as Basic authentication,
 * as the Node forwarder sends them. An https engine keeps the portable path.
 */
import { AppError, problemResponse } from '../../errors.ts'
import { requestIdFrom } from '../../middleware/request-id.ts'
import type { Logger } from '../../ops/logger.ts'
import { allowedResponseHeaders, outboundHeaders } from '../../proxy/forward.ts'
import { type DirectPassThrough, plainHost, rawTarget } from '../../task-proxy/index.ts'
import { engineUrl } from '../engine-url.ts'
import { createEnginePool, type EngineAnswer, type EnginePoolOptions } from './engine-pool.ts'

export interface BunPassThrough {
  /** The answer to `request` when it takes the direct path; undefined leaves it to the app. */
  serve(request: Request): Promise<Response> | undefined
  /** Closes the engine sockets (shutdown). */
  close(): void
}

/** Content codings fetch decodes, by the name DecompressionStream knows them. */
const DECODERS: Record<string, CompressionFormat | 'brotli'> = {
  gzip: 'gzip',
  'x-gzip': 'gzip',
  deflate: 'deflate',
  br: 'brotli',
}

/** Statuses whose answer never has a body (and Response refuses one for). */
const NULL_BODY = new Set([204, 205, 304])

/** The Bun pass-through, or undefined for an engine it does not serve (https). */
export function bunPassThrough(
  direct: DirectPassThrough,
  logger: Logger,
  pool: Partial<EnginePoolOptions> = {}
): BunPassThrough | undefined {
  const base = engineUrl(direct.engine.baseUrl)
  if (base.protocol !== 'http:') return undefined
  const { prefix } = base
  const authorization =
    base.credentials === undefined ? undefined : `Basic ${Buffer.from(base.credentials).toString('base64')}`
  const engine = createEnginePool({
    hostname: base.hostname,
    port: Number(base.port || 80),
    host: base.host,
    ...pool,
  })
  const { timeoutMs } = direct.engine

  async function pass(request: Request): Promise<Response> {
    const started = performance.now()
    const incoming = request.headers
    const requestId = requestIdFrom(incoming.get('x-request-id'))
    const url = request.url
    const { path, query } = rawTarget(url)
    const headers = outboundHeaders({ header: (name) => incoming.get(name) ?? undefined, requestId, url })
    if (authorization) headers.authorization = authorization
    let response: Response
    try {
      const answer = await engine.get(
        `${prefix}${path}${query === '' ? '' : `?${query}`}`,
        headers,
        timeoutMs,
        request.signal
      )
      response = answerOf(answer, requestId)
    } catch (error) {
      response = direct.failure(error, requestId, request.signal.aborted, () => request.signal)
    }
    direct.record({ requestId, path, status: response.status, started })
    return response
  }

  function answerOf(answer: EngineAnswer, requestId: string): Response {
    const { status, headers: received } = answer
    const headers = allowedResponseHeaders((name) => received[name])
    headers['x-request-id'] = requestId
    const length = received['content-length']
    const coding = received['content-encoding']?.trim().toLowerCase()
    if (length !== undefined && coding === undefined && received['transfer-encoding'] === undefined) {
      headers['content-length'] = length
    }
    let body: BodyInit | null = NULL_BODY.has(status) ? null : answer.body
    const decoder = coding === undefined ? undefined : DECODERS[coding]
    if (body !== null && decoder) {
      const bytes = body instanceof Uint8Array ? body : undefined
      const source =
        bytes === undefined
          ? (body as ReadableStream<Uint8Array>)
          : new ReadableStream<Uint8Array>({
              start(controller) {
                controller.enqueue(bytes)
                controller.close()
              },
            })
      const decoding = new DecompressionStream(decoder as CompressionFormat)
      body = source.pipeThrough(decoding as unknown as TransformStream<Uint8Array, Uint8Array>)
    }
    try {
      return new Response(body, { status, headers })
    } catch (error) {
      // A status Response refuses (600-999): the engine's fault, a 500 problem, and the process goes on.
      if (body instanceof ReadableStream) void body.cancel()
      logger.error('direct pass-through could not answer', { requestId, error })
      return problemResponse(new AppError('FG_ERR_INTERNAL'), requestId)
    }
  }

  return {
    serve: (request) =>
      direct.accepts(request) && plainHost(request.headers.get('host')) ? pass(request) : undefined,
    close: () => engine.close(),
  }
}
