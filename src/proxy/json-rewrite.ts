/**
 * @module Reads engine bodies with a size bound, rewrites JSON, and passes responses (including
 * the engine's own errors) back with the tenant prefix scrubbed.
 */
import { AppError } from '../errors.ts'
import { SEPARATOR } from '../tenancy/naming.ts'
import { bufferedBody } from './buffered-body.ts'
import { readCappedBody } from './capped-body.ts'
import { responseHeaders } from './forward.ts'

const TOO_LARGE = 'The engine answer is too large to rewrite.'

/** Reads a body as text, failing with 502 when it exceeds `limit` bytes. */
export async function readBounded(response: Response, limit: number): Promise<string> {
  return new TextDecoder().decode(await readBoundedBytes(response, limit))
}

/** Reads a body as bytes (one copy), failing with 502 when it exceeds `limit` bytes. */
export async function readBoundedBytes(response: Response, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const whole = bufferedBody(response)
  if (whole) {
    if (whole.byteLength > limit) throw new AppError('FG_ERR_UPSTREAM_INVALID', { detail: TOO_LARGE })
    return whole
  }
  return readCappedBody(response, limit, {
    tooLarge: () => new AppError('FG_ERR_UPSTREAM_INVALID', { detail: TOO_LARGE }),
    readFailed: upstreamReadFailed,
  })
}

/** The deadline (or a broken connection) can strike while the body streams in. */
function upstreamReadFailed(error: unknown): AppError {
  const timedOut = error instanceof Error && error.name === 'TimeoutError'
  return new AppError(timedOut ? 'FG_ERR_UPSTREAM_TIMEOUT' : 'FG_ERR_UPSTREAM_UNAVAILABLE', { cause: error })
}

/** Parses a JSON body (bounded); an empty body is undefined; anything else non-JSON → 502. */
export async function readJson(response: Response, limit: number): Promise<unknown> {
  return parseEngineJson(await readBounded(response, limit))
}

/** Parses JSON text the engine sent; empty is undefined; anything else non-JSON → 502. */
export function parseEngineJson(text: string): unknown {
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new AppError('FG_ERR_UPSTREAM_INVALID', {
      detail: 'The engine answered with malformed JSON.',
      cause: error,
    })
  }
}

/** Removes `T___` wherever it occurs in text the engine produced about this tenant's objects. */
export function scrubTenant(text: string, tenant: string): string {
  return text.split(`${tenant}${SEPARATOR}`).join('')
}

/** Passes an engine response through, scrubbing the tenant prefix from its body. */
export async function passThrough(response: Response, tenant: string, limit: number): Promise<Response> {
  const headers = responseHeaders(response)
  if (response.status === 204 || response.status === 304 || !response.body) {
    return new Response(null, { status: response.status, headers })
  }
  const text = scrubTenant(await readBounded(response, limit), tenant)
  return new Response(text, { status: response.status, headers })
}

/** A JSON response of the gateway's own making. */
export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
}
