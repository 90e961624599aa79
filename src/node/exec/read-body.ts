/**
 * @module A command request's body as bytes. On Node (@hono/node-server) a body framed by
 * Content-Length is read straight from the IncomingMessage into one buffer of that length: going
 * through `c.req.arrayBuffer()` makes the adapter build a full fetch Request and web stream first,
 * a measurable part of a short command's run. The size was already checked against
 * `server.body_limit` by the limits middleware (which decides framed bodies by their header), and
 * node:http ends a framed body at its length. Chunked bodies, and every other runtime, take the
 * portable path, where the limit is counted while reading.
 */
import type { Context } from 'hono'
import type { AppEnv } from '../../env.ts'
import { AppError } from '../../errors.ts'
import { nodeIncoming } from '../shared/node-bindings.ts'

/**
 * The client went away before its whole body arrived (the connection closed or reset mid-body):
 * not a server error, so the request is recorded as 499 with a debug line, as the gateway does.
 */
export class ClientLeftError extends Error {
  override readonly name = 'ClientLeftError'
}

/** Rejects with ClientLeftError when the body cannot be read to its end, AppError (limits) as is. */
export function readRequestBody(c: Context<AppEnv>): Promise<Uint8Array> {
  return readBytes(c).catch((error: unknown) => {
    if (error instanceof AppError || error instanceof ClientLeftError) throw error
    throw new ClientLeftError('the client went away mid-body', { cause: error })
  })
}

function readBytes(c: Context<AppEnv>): Promise<Uint8Array> {
  const incoming = nodeIncoming(c.env)
  const length = c.req.header('content-length')
  const framed =
    length !== undefined && /^\d{1,15}$/.test(length) && c.req.header('transfer-encoding') === undefined
  if (!incoming || !framed || incoming.readableEnded || incoming.readableDidRead) {
    return c.req.arrayBuffer().then((buffer) => new Uint8Array(buffer))
  }
  const bytes = new Uint8Array(Number(length))
  return new Promise<Uint8Array>((resolve, reject) => {
    let filled = 0
    incoming.on('data', (chunk: Buffer) => {
      bytes.set(chunk.subarray(0, bytes.byteLength - filled), filled)
      filled += chunk.byteLength
    })
    incoming.once('end', () => {
      if (filled === bytes.byteLength) resolve(bytes)
      else reject(new ClientLeftError(`the client sent ${filled} of ${bytes.byteLength} announced bytes`))
    })
    incoming.once('error', reject)
    incoming.once('aborted', () => reject(new ClientLeftError('the client went away mid-body')))
  })
}
