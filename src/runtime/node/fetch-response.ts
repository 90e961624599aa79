/**
 * @module The answer side of the Node engine clients (fetch.ts, engine-get.ts): which answers are read whole,
 * their headers as a record, and the others as a fetch Response whose web stream pauses the
 * socket when the reader falls behind, decoding content codings as fetch does.
 */
import type { IncomingHttpHeaders } from 'node:http'
import { pipeline, type Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'

/**
 * The platform's Response, taken before @hono/node-server swaps in its lighter one for the
 * responses handlers build: the upstream answer's body is read at once, which that one would
 * only do by creating this one (a second copy of the headers).
 */
const NativeResponse = globalThis.Response

/**
 * An engine's answer as the engine clients hand it on: its body as a Node stream, with the status
 * and the headers (names lower-case; repeats joined, Set-Cookie as a list, as node:http keeps them).
 */
export type EngineAnswer = Readable & {
  statusCode?: number | undefined
  statusMessage?: string | undefined
  headers: IncomingHttpHeaders
}

/** Statuses whose response never has a body (RFC 9110 §6.4.1; fetch's null body statuses). */
export const NULL_BODY = new Set([101, 103, 204, 205, 304])

/**
 * Answers up to this size with a Content-Length and no content coding are read whole and handed
 * on as bytes (with the buffered-body hint): for the many small answers of an engine API a web
 * stream per answer costs more than the answer. Larger or chunked answers stream, unless the
 * caller said it reads them whole anyway (READ_WHOLE, up to the size it gave).
 */
export const SMALL_BODY = 64 * 1024

export function bufferable(res: EngineAnswer, method: string, limit: number): boolean {
  const status = res.statusCode ?? 502
  if (method === 'HEAD' || NULL_BODY.has(status) || res.headers['content-encoding'] !== undefined)
    return false
  const length = res.headers['content-length']
  return length !== undefined && /^\d{1,10}$/.test(length) && Number(length) <= limit
}

/**
 * Reads an answer of announced `length` into one buffer as it arrives: no list of chunks kept
 * beside the whole (node:http itself refuses a body longer than its Content-Length). Fewer bytes
 * than announced, an error or the connection closing mid-answer call `failed` with the cause.
 */
export function readBodyWhole(
  res: EngineAnswer,
  length: number,
  whole: (bytes: Uint8Array<ArrayBuffer>) => void,
  failed: (cause: Error) => void
): void {
  const bytes = new Uint8Array(length)
  let filled = 0
  res.on('data', (chunk: Buffer) => {
    bytes.set(chunk.subarray(0, length - filled), filled)
    filled += chunk.byteLength
  })
  res.once('end', () => {
    if (filled === length) whole(bytes)
    else failed(new Error(`the engine sent ${filled} of ${length} announced bytes`))
  })
  res.once('error', failed)
  res.once('aborted', () => failed(new Error('the engine closed the connection mid-answer')))
}

/**
 * The answer's headers as a record (names lower-case, repeats as node:http keeps them):
 * @hono/node-server's light Response keeps a record as it is until someone asks for `headers`.
 * Set-Cookie cannot be joined, so an answer with one gets a real Headers.
 */
export function headerRecord(res: EngineAnswer): Record<string, string> | Headers {
  const record: Record<string, string> = {}
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    if (typeof value !== 'string') return responseHeaders(res)
    record[name] = value
  }
  return record
}

function responseHeaders(res: EngineAnswer): Headers {
  const headers = new Headers()
  const raw = (res as { rawHeaders?: string[] }).rawHeaders
  if (raw) {
    for (let i = 0; i < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string)
    return headers
  }
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue
    if (typeof value === 'string') headers.append(name, value)
    else for (const one of value) headers.append(name, one)
  }
  return headers
}

export function toResponse(
  res: EngineAnswer,
  method: string,
  done: () => void,
  abortReason: () => unknown
): Response {
  const status = res.statusCode ?? 502
  const headers = responseHeaders(res)
  if (NULL_BODY.has(status) || method === 'HEAD') {
    res.resume()
    res.once('end', done)
    return new NativeResponse(null, { status, statusText: res.statusMessage ?? '', headers })
  }
  return new NativeResponse(webStream(decoded(res), done, abortReason), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  })
}

/** Decodes a content-coded answer as fetch does (RFC 9110 §8.4); other codings pass as they are. */
export function decoded(res: EngineAnswer): Readable {
  const coding = res.headers['content-encoding']?.trim().toLowerCase()
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? createGunzip()
      : coding === 'deflate'
        ? createInflate()
        : coding === 'br'
          ? createBrotliDecompress()
          : undefined
  if (!decoder) return res
  return pipeline(res, decoder, () => {
    // Errors surface on the decoder, which the web stream reads.
  })
}

/** Up to 64 KiB wait in the web stream before the socket is paused (not every single chunk). */
const BUFFERED = { highWaterMark: 64 * 1024, size: (chunk: Uint8Array) => chunk.byteLength }

/**
 * A Node readable as a web stream with backpressure; a premature end is an error, and after an
 * abort the error is the signal's reason (so a deadline mid-body is still a TimeoutError).
 */
function webStream(
  source: Readable,
  done: () => void,
  abortReason: () => unknown
): ReadableStream<Uint8Array> {
  let ended = false
  const finish = () => {
    if (ended) return false
    ended = true
    done()
    return true
  }
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        source.on('data', (chunk: Buffer) => {
          controller.enqueue(chunk)
          if ((controller.desiredSize ?? 0) <= 0) source.pause()
        })
        source.once('end', () => {
          if (finish()) controller.close()
        })
        source.once('error', (error) => {
          if (finish()) controller.error(abortReason() ?? error)
        })
        source.once('close', () => {
          if (!finish()) return
          const early = new TypeError('terminated', { cause: new Error('the upstream closed early') })
          controller.error(abortReason() ?? early)
        })
      },
      pull() {
        source.resume()
      },
      cancel(reason) {
        finish()
        source.destroy(reason instanceof Error ? reason : undefined)
      },
    },
    BUFFERED
  )
}
