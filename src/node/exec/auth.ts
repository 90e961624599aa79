/**
 * @module Who may run commands: bearer tokens (compared as SHA-256 hashes in constant time), the
 * gateway's JWTs (exec.jwt_scope_claim) or HMAC-SHA256 signed requests with a timestamp window
 * (reference §6.6), each with command scopes.
 * Signature: hex HMAC of `METHOD \n path \n timestamp \n sha256hex(body)` in
 * `X-Flowgate-Signature: sha256=<hex>` (several comma-separated values allowed for rotation).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { AppError } from '../../errors.ts'
import { SCOPE, scopeAllows } from './credentials.ts'
import type { ReplayGuard } from './replay-guard.ts'
import { type ExecSettings, isLoopback } from './settings.ts'

export const TIMESTAMP_HEADER = 'x-flowgate-timestamp'
export const SIGNATURE_HEADER = 'x-flowgate-signature'

export interface Caller {
  /** Credential id for the audit line (never the secret), or "anonymous" when auth is off. */
  id: string
  method: 'bearer' | 'jwt' | 'hmac' | 'none'
  scopes: readonly string[]
}

export interface AuthInput {
  authorization: string | undefined
  /** Browser headers and the Host the request was sent to: checked when auth is off. */
  origin?: string | undefined
  fetchSite?: string | undefined
  hostname?: string
  timestamp: string | undefined
  signature: string | undefined
  method: string
  path: string
  /** Called only for signed requests (the body is part of the signature). */
  body: () => Promise<Uint8Array>
  nowMs: number
  /** Signed requests already accepted (each is accepted once). */
  replays?: ReplayGuard
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="flowgate-exec"' }
const unauthenticated = (detail: string) =>
  new AppError('FG_ERR_EXEC_UNAUTHENTICATED', { detail, headers: CHALLENGE })
const malformed = (where: string, message: string) =>
  new AppError('FG_ERR_EXEC_INVALID_REQUEST', {
    detail: `${where}: ${message}`,
    errors: [{ where, message }],
  })

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/

/** A gateway JWT: verified with the gateway's settings; scopes from the configured claim. */
async function verifyJwt(token: string, jwt: NonNullable<ExecSettings['jwt']>): Promise<Caller> {
  let claims: Record<string, unknown>
  try {
    claims = (await jwt.verify(token)).claims
  } catch {
    throw unauthenticated('The token is not valid.')
  }
  const raw = claims[jwt.scopeClaim]
  const list = typeof raw === 'string' ? raw.split(/[\s,]+/) : Array.isArray(raw) ? raw : []
  const scopes = list.filter((scope): scope is string => typeof scope === 'string' && SCOPE.test(scope))
  const subject = typeof claims.sub === 'string' ? claims.sub.slice(0, 64) : 'unknown'
  return { id: `jwt:${subject}`, method: 'jwt', scopes }
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest()

/** Identifies the caller or throws 400/401. */
export async function authenticate(input: AuthInput, settings: ExecSettings): Promise<Caller> {
  if (!settings.authRequired) {
    refuseBrowsers(input)
    return { id: 'anonymous', method: 'none', scopes: ['*'] }
  }
  if (input.authorization !== undefined) {
    const match = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/.exec(input.authorization.trim())
    if (!match?.[1]) throw malformed('authorization', 'expected "Bearer <token>"')
    const presented = sha256(match[1])
    // Compare against every entry so the time taken does not tell which one matched.
    let found: Caller | undefined
    for (const token of settings.tokens) {
      if (timingSafeEqual(presented, token.hash) && !found) {
        found = { id: token.id, method: 'bearer', scopes: token.scopes }
      }
    }
    if (found) return found
    if (settings.jwt && JWT_SHAPE.test(match[1])) return verifyJwt(match[1], settings.jwt)
    throw unauthenticated('The token is not valid.')
  }
  if (input.signature !== undefined || input.timestamp !== undefined) return verifySignature(input, settings)
  throw unauthenticated('Send a bearer token or a signed request.')
}

/**
 * Without auth, a loopback listener is still reachable from the operator's browser: any page can
 * send a "simple" cross-origin POST (an empty body runs the command with defaults), and DNS
 * rebinding makes a page same-origin with 127.0.0.1. Browsers always send Origin with a POST, and
 * a rebinding page's Host is its own name, so both are refused; httpexec clients send neither.
 */
function refuseBrowsers(input: AuthInput): void {
  const hostname = (input.hostname ?? 'localhost').replace(/^\[(.*)\]$/, '$1')
  const crossSite = input.fetchSite !== undefined && input.fetchSite !== 'none'
  if (input.origin !== undefined || crossSite || !isLoopback(hostname)) {
    throw new AppError('FG_ERR_EXEC_FORBIDDEN', {
      detail:
        'Without exec.auth, only local non-browser clients addressing a loopback host may run commands.',
    })
  }
}

async function verifySignature(input: AuthInput, settings: ExecSettings): Promise<Caller> {
  if (!input.timestamp || !/^\d{1,12}$/.test(input.timestamp)) {
    throw malformed(TIMESTAMP_HEADER, 'expected Unix seconds')
  }
  const values = (input.signature ?? '').split(',').map((value) => value.trim())
  const digests = values.map((value) => /^sha256=([0-9a-f]{64})$/i.exec(value)?.[1])
  if (values.length === 0 || digests.some((digest) => digest === undefined)) {
    throw malformed(SIGNATURE_HEADER, 'expected "sha256=<64 hex digits>"')
  }
  const skew = Math.abs(input.nowMs / 1000 - Number(input.timestamp))
  if (skew > settings.hmacWindowS)
    throw unauthenticated('The request timestamp is outside the accepted window.')
  const bodyHash = sha256(await input.body()).toString('hex')
  const signed = `${input.method.toUpperCase()}\n${input.path}\n${input.timestamp}\n${bodyHash}`
  let found: Caller | undefined
  for (const key of settings.hmacKeys) {
    const expected = createHmac('sha256', key.key).update(signed).digest()
    for (const digest of digests) {
      if (timingSafeEqual(expected, Buffer.from(digest ?? '', 'hex')) && !found) {
        found = { id: key.id, method: 'hmac', scopes: key.scopes }
      }
    }
  }
  if (!found) throw unauthenticated('The signature is not valid.')
  // Valid until the timestamp leaves the window on the far side; kept (and refused) until then.
  const expiresMs = (Number(input.timestamp) + settings.hmacWindowS) * 1000
  const used = sha256(`${found.id}\n${signed}`).toString('base64')
  if (input.replays && !input.replays.accept(used, expiresMs, input.nowMs)) {
    throw unauthenticated('This signed request was already used; sign each request anew.')
  }
  return found
}

/** 403 unless the caller's scopes include the command name. */
export function authorize(caller: Caller, command: string): void {
  if (!scopeAllows(caller.scopes, command)) {
    throw new AppError('FG_ERR_EXEC_FORBIDDEN', { detail: 'This credential may not run this command.' })
  }
}

/** What a client computes to sign a request (exported for tests, benchmarks and docs). */
export function signRequest(
  key: string,
  method: string,
  path: string,
  timestamp: string,
  body: Uint8Array
): string {
  const signed = `${method.toUpperCase()}\n${path}\n${timestamp}\n${sha256(body).toString('hex')}`
  return `sha256=${createHmac('sha256', key).update(signed).digest('hex')}`
}
