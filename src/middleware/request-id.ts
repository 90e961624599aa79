/** @module Gives every request an id: a valid inbound `x-request-id` is reused, else a new UUID. */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'

export interface RequestIdOptions {
  /** Longest inbound id accepted; longer ones are replaced. */
  maxLength?: number
}

/** Inbound ids are reused only when made of safe characters, so they cannot inject log lines. */
const SAFE_ID = /^[A-Za-z0-9._:=-]+$/

/** Longest inbound id reused by default. */
const MAX_LENGTH = 200

/** The id of a request: its inbound `x-request-id` when valid, else a new UUID. */
export function requestIdFrom(inbound: string | null | undefined, maxLength = MAX_LENGTH): string {
  return inbound && inbound.length <= maxLength && SAFE_ID.test(inbound) ? inbound : crypto.randomUUID()
}

export const requestId = (options: RequestIdOptions = {}): MiddlewareHandler<AppEnv> => {
  const maxLength = options.maxLength ?? MAX_LENGTH
  if (!Number.isInteger(maxLength) || maxLength < 8)
    throw new Error('requestId: maxLength must be an integer ≥ 8')
  return async function requestId(c, next) {
    const id = requestIdFrom(c.req.header('x-request-id'), maxLength)
    c.set('requestId', id)
    await next()
    if (c.get('requestIdSent')) return
    // Set in place where the headers allow it: c.header() on a finished response makes hono copy
    // it (and makes @hono/node-server build a full Response for its light one) on every request.
    // Immutable headers (Response.redirect(), an engine answer passed on as is) take the copy.
    try {
      c.res.headers.set('x-request-id', id)
    } catch {
      c.header('x-request-id', id)
    }
  }
}

/**
 * Adds the request id to a handler's own header record and tells the middleware it is there: a
 * response built from a plain record then goes out without being turned into a Headers object
 * just to add one header (the Node adapter writes a record as it is).
 */
export function withRequestId(c: Context<AppEnv>, headers: Record<string, string>): Record<string, string> {
  headers['x-request-id'] = c.get('requestId')
  c.set('requestIdSent', true)
  return headers
}
