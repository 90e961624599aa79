/**
 * @module Verifies bearer JWTs with jose against a JWKS (RFC 7515/7517/7519). One issuer, or one
 * per tenant when the configured issuer holds `{tenant}` (a Keycloak realm per tenant): the
 * tenant is then read from the unverified `iss`, checked, and the token verified against that
 * realm's own JWKS URL built from configuration — never from the token.
 */
import { createRemoteJWKSet, decodeJwt, type JWTPayload, jwtVerify } from 'jose'
import { tenantProblem } from './naming.ts'

export interface JwtVerifierOptions {
  jwksUrl: string
  issuer: string
  audience?: string | undefined
  algorithms: readonly string[]
  clockSkewS: number
  /** Most realms whose key sets are kept at once. */
  maxIssuers?: number
  /**
   * Most key sets created per minute. Realm names come from unverified tokens: without a bound,
   * anyone could make the gateway fetch JWKS for a stream of made-up realms.
   */
  newIssuersPerMinute?: number
}

export interface VerifiedToken {
  claims: JWTPayload & Record<string, unknown>
  /** The tenant named by the issuer, when the issuer holds {tenant}. */
  issuerTenant?: string
}

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
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>()
  const maxIssuers = options.maxIssuers ?? 256
  const perMinute = options.newIssuersPerMinute ?? 60
  let windowStart = 0
  let createdInWindow = 0
  const keySetFor = (tenant: string) => {
    let keySet = keySets.get(tenant)
    if (!keySet) {
      const now = Date.now()
      if (now - windowStart >= 60_000) {
        windowStart = now
        createdInWindow = 0
      }
      if (createdInWindow >= perMinute) throw new Error('too many new token issuers; try again in a minute')
      createdInWindow++
      if (keySets.size >= maxIssuers) keySets.delete(keySets.keys().next().value as string)
      keySet = createRemoteJWKSet(new URL(options.jwksUrl.replace(PLACEHOLDER, encodeURIComponent(tenant))), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
      })
      keySets.set(tenant, keySet)
    }
    return keySet
  }

  return async function verify(token) {
    let tenant = ''
    if (perTenant) {
      const issuer = decodeJwt(token).iss ?? ''
      const match = issuerPattern.exec(issuer)
      const named = match?.[1] ? decodeURIComponent(match[1]) : undefined
      if (named === undefined || tenantProblem(named) !== undefined)
        throw new Error('token issuer is not a tenant realm')
      tenant = named
    }
    const { payload } = await jwtVerify(token, keySetFor(tenant), {
      issuer: perTenant ? options.issuer.replace(PLACEHOLDER, tenant) : options.issuer,
      algorithms: [...options.algorithms],
      clockTolerance: options.clockSkewS,
      requiredClaims: ['exp'],
      ...(options.audience ? { audience: options.audience } : {}),
    })
    return perTenant
      ? { claims: payload as VerifiedToken['claims'], issuerTenant: tenant }
      : { claims: payload as VerifiedToken['claims'] }
  }
}
