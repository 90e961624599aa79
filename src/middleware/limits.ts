/** @module Request body size limit: 413 by Content-Length before reading, or while reading a chunked body. */
import type { MiddlewareHandler } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'

export interface LimitsOptions {
  /** Largest body in bytes. */
  maxBodyBytes: number
}

export const limits = (options: LimitsOptions): MiddlewareHandler<AppEnv> => {
  const { maxBodyBytes } = options
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes <= 0) {
    throw new Error('limits: maxBodyBytes must be a positive integer')
  }
  // hono ≥ 4.12.16 also counts bodies sent without Content-Length (GHSA-9vqf-7f2p-gf9v).
  const limitBody = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw tooLarge()
    },
  })
  const tooLarge = () =>
    new AppError('FG_ERR_HTTP_BODY_TOO_LARGE', {
      detail: `The request body is larger than ${maxBodyBytes} bytes.`,
      headers: { connection: 'close' },
    })
  return async function limits(c, next) {
    // Nothing to count without a body: skipping these keeps the Node adapter from building a full
    // Request for every GET (the handlers of GET and HEAD never read one).
    const method = c.req.method
    if (method === 'GET' || method === 'HEAD') return next()
    // A body framed by Content-Length cannot grow past it (the runtime's HTTP parser enforces the
    // framing), so the header alone decides, without wrapping the body: touching the body here
    // makes the Node adapter build a full Request, a measurable share of a short command's run.
    const length = c.req.header('content-length')
    if (
      length !== undefined &&
      /^\d{1,15}$/.test(length) &&
      c.req.header('transfer-encoding') === undefined
    ) {
      if (Number(length) > maxBodyBytes) throw tooLarge()
      return next()
    }
    await limitBody(c, next)
  }
}
