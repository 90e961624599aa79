/**
 * @module Verifies bearer JWTs with jose against a JWKS (RFC 7515/7517/7519). One issuer, or one
 * per tenant when the configured issuer holds `{tenant}` (a Keycloak realm per tenant): the
 * tenant is then read from the unverified `iss`, checked, and the token verified against that
 * realm's own JWKS URL built from configuration — never from the token.
 */
import { decodeJwt, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose'
import { tenantProblem } from '../tenancy/naming.ts'
import { issuerKeys } from './issuer-keys.ts'
import { cappedJwksFetch, KeysUnavailableError } from './jwks-fetch.ts'

export { KeysUnavailableError } from './jwks-fetch.ts'

export interface JwtVerifierOptions {
  jwksUrl: string
  issuer: string
  audience?: string | undefined
  algorithms: readonly string[]
  clockSkewS: number
  /** Most proven realms whose key sets are kept at once (default 256). */
  maxIssuers?: number | undefined
  /** Key-set fetches of realms no token has proven yet, at once (default 4). */
  maxNewIssuerFetches?: number | undefined
  /** Largest JWKS answer read, in bytes (default 256 KiB). */
  jwksMaxBytes?: number | undefined
  /** Most keys a JWKS may hold (default 100). */
  jwksMaxKeys?: number | undefined
  /** Deadline of a JWKS fetch, body included (default 5 s). */
  jwksTimeoutMs?: number | undefined
  fetch?: typeof fetch | undefined
  /** Told once per kind of JWKS trouble (too large, unreachable…) until a fetch succeeds again. */
  onWarning?: ((message: string, fields: Record<string, unknown>) => void) | undefined
}

export interface VerifiedToken {
  claims: JWTPayload & Record<string, unknown>
  /** The tenant named by the issuer, when the issuer holds {tenant}. */
  issuerTenant?: string
}

/** Throws KeysUnavailableError when the keys cannot be had (not the token's fault); any other error means a bad token. */
export type TokenVerifier = (token: string) => Promise<VerifiedToken>

const PLACEHOLDER = '{tenant}'

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

export function createJwtVerifier(options: JwtVerifierOptions): TokenVerifier {
  const perTenant = options.issuer.includes(PLACEHOLDER)
  if (perTenant !== options.jwksUrl.includes(PLACEHOLDER)) {
    throw new Error('auth.issuer and auth.jwks_url must both contain {tenant}, or neither')
  }
  const issuerPattern = new RegExp(
    `^${escapeRegExp(options.issuer).replace(escapeRegExp(PLACEHOLDER), '([^/]+)')}$`
  )
  const keys = issuerKeys({
    jwksUrl: (realm) => new URL(options.jwksUrl.replace(PLACEHOLDER, encodeURIComponent(realm))),
    fetch: cappedJwksFetch({
      maxBytes: options.jwksMaxBytes ?? 256 * 1024,
      maxKeys: options.jwksMaxKeys ?? 100,
      fetch: options.fetch,
    }),
    timeoutMs: options.jwksTimeoutMs ?? 5_000,
    perRealm: perTenant,
    maxProven: options.maxIssuers ?? 256,
    maxUnproven: 16,
    maxUnprovenFetches: options.maxNewIssuerFetches ?? 4,
    maxFailed: 1024,
    onWarning: options.onWarning,
  })

  const tenantOf = (token: string): string => {
    const issuer = decodeJwt(token).iss ?? ''
    const match = issuerPattern.exec(issuer)
    const named = match?.[1] ? decodeURIComponent(match[1]) : undefined
    if (named === undefined || tenantProblem(named) !== undefined)
      throw new Error('token issuer is not a tenant realm')
    return named
  }

  // With a realm per tenant, a 404 from its JWKS URL means the token named a realm that does not
  // exist: the token's fault. With one issuer it is the configuration's.
  const asTokenError = (error: unknown): unknown =>
    perTenant && error instanceof KeysUnavailableError && error.problem === 'not-found'
      ? new Error('token issuer is not a known realm', { cause: error })
      : error

  return async function verify(token) {
    const tenant = perTenant ? tenantOf(token) : ''
    // Looked up only once jose has checked the token's form and algorithm.
    let used: ReturnType<typeof keys.lookup> | undefined
    const getKey: JWTVerifyGetKey = (header, jws) => {
      used = keys.lookup(tenant)
      return used(header, jws)
    }
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: perTenant ? options.issuer.replace(PLACEHOLDER, tenant) : options.issuer,
        algorithms: [...options.algorithms],
        clockTolerance: options.clockSkewS,
        requiredClaims: ['exp'],
        ...(options.audience ? { audience: options.audience } : {}),
      })
      if (used) keys.proven(tenant, used)
      return perTenant
        ? { claims: payload as VerifiedToken['claims'], issuerTenant: tenant }
        : { claims: payload as VerifiedToken['claims'] }
    } catch (error) {
      const thrown = asTokenError(error)
      if (used && error instanceof KeysUnavailableError && thrown instanceof Error)
        keys.failed(tenant, thrown)
      throw thrown
    }
  }
}
