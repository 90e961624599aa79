/** @module The app's error boundary: problem+json for thrown errors, 404 and 405. */
import type { Context, ErrorHandler, Hono, MiddlewareHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { methodNotAllowed as honoMethodNotAllowed } from 'hono/method-not-allowed'
import type { AppEnv } from '../env.ts'
import { AppError, type ErrorCode, problemResponse } from '../errors.ts'
import type { Logger } from '../ops/logger.ts'

const BY_STATUS: Partial<Record<number, ErrorCode>> = {
  400: 'FG_ERR_HTTP_BAD_REQUEST',
  404: 'FG_ERR_HTTP_NOT_FOUND',
  405: 'FG_ERR_HTTP_METHOD_NOT_ALLOWED',
  413: 'FG_ERR_HTTP_BODY_TOO_LARGE',
  415: 'FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
}

/** Codes that say the engine could not be reached or was too slow. */
const ENGINE_TROUBLE = new Set<ErrorCode>(['FG_ERR_UPSTREAM_UNAVAILABLE', 'FG_ERR_UPSTREAM_TIMEOUT'])

/** Name, message and the errno-style code of an error and of the causes it wraps (fetch failed → ECONNREFUSED). */
export function causeSummary(cause: unknown): Array<Record<string, string>> {
  const chain: Array<Record<string, string>> = []
  for (let at = cause; at instanceof Error && chain.length < 4; at = at.cause) {
    const code = (at as Error & { code?: unknown }).code
    chain.push({ name: at.name, message: at.message, ...(typeof code === 'string' ? { code } : {}) })
  }
  return chain
}

function asAppError(error: unknown): AppError {
  if (error instanceof AppError) return error
  if (error instanceof HTTPException) {
    const code = BY_STATUS[error.status]
    if (code) return new AppError(code, { cause: error })
  }
  return new AppError('FG_ERR_INTERNAL', { cause: error })
}

/**
 * Status recorded (metrics, access log) for a request whose client went away before the answer:
 * nginx's "client closed request". Nobody reads the answer.
 */
export const CLIENT_CLOSED = 499

/** The request's own abort (the client went away) surfacing from an upstream call or a body read. */
function clientWentAway(error: unknown, signal: () => AbortSignal): boolean {
  if (error instanceof AppError || !(error instanceof Error || error instanceof DOMException)) return false
  // Once the client has gone, whatever broke while reading its request (a reset socket cutting a
  // chunked body, a stream ended early) is its leaving, not a server fault.
  return signal().aborted
}

/**
 * The answer to an error thrown while serving a request, and its log line: problem+json; 5xx
 * logged with their cause; a client that went away is no server error (499 and a debug line).
 * `signal` is asked only for errors that may be the client's own abort.
 */
export function errorResponse(
  error: unknown,
  logger: Logger,
  requestId: string | undefined,
  signal: () => AbortSignal
): Response {
  if (clientWentAway(error, signal)) {
    logger.debug('client closed the request', { error })
    return new Response(null, { status: CLIENT_CLOSED })
  }
  const appError = asAppError(error)
  if (ENGINE_TROUBLE.has(appError.code)) {
    // The engine down or slow is the operator's condition, not a flowgate failure: one warning
    // per request, naming the cause without a stack.
    logger.warn('engine call failed', { code: appError.code, error: causeSummary(appError.cause) })
  } else if (appError.status >= 500) {
    logger.error('request failed', { code: appError.code, error: appError.cause ?? error })
  } else if (appError.cause !== undefined) {
    logger.debug('request rejected', { code: appError.code, error: appError.cause })
  }
  return problemResponse(appError, requestId)
}

/**
 * `app.onError`: renders every error as problem+json; logs 5xx with their cause. A client that
 * went away is no server error: its request ends with 499 and a debug line (errorResponse).
 */
export const errorHandler = (fallbackLogger: Logger): ErrorHandler<AppEnv> =>
  function errorHandler(error, c) {
    return errorResponse(error, c.get('logger') ?? fallbackLogger, c.get('requestId'), () => c.req.raw.signal)
  }

/** `app.notFound`: 404 problem+json for any path no route serves. */
export const notFound = (): NotFoundHandler<AppEnv> =>
  function notFound(c: Context<AppEnv>) {
    c.set('unmatched', true)
    return problemResponse(
      new AppError('FG_ERR_HTTP_NOT_FOUND', { detail: 'No route serves this method and path.' }),
      c.get('requestId')
    )
  }

/** 405 with `Allow` when the path exists under other methods (RFC 9110 §15.5.6). */
export const methodNotAllowed = (app: Hono<AppEnv>): MiddlewareHandler<AppEnv> =>
  honoMethodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      problemResponse(
        new AppError('FG_ERR_HTTP_METHOD_NOT_ALLOWED', {
          detail: `${c.req.method} is not allowed here; use ${methods.join(', ')}.`,
          headers: { allow: methods.join(', ') },
        }),
        c.get('requestId')
      ),
  }) as MiddlewareHandler<AppEnv>
