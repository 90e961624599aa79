/**
 * @module Sets `c.var.principal` from trusted headers, a verified JWT, or (loopback only) the
 * anonymous tenant. Missing or bad credentials → 401 with WWW-Authenticate (RFC 6750 §3);
 * a malformed tenant id → 400; signing keys that cannot be fetched → 503 (not the client's fault).
 */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { claimList, firstString, groupName, intersects } from '../identity/claims.ts'
import { KeysUnavailableError } from '../identity/jwks-fetch.ts'
import type { TokenVerifier } from '../identity/jwt-verifier.ts'
import type { Principal } from '../identity/principal.ts'
import { tenantProblem } from '../tenancy/naming.ts'

export interface ClaimMapping {
  tenant: string
  user: readonly string[]
  roles: string
  groups: string
}

export interface IdentityOptions {
  mode: 'headers' | 'jwt' | 'none'
  /** Required in jwt mode; undefined there means "not configured" (503). */
  verifier?: TokenVerifier | undefined
  claims: ClaimMapping
  adminRoles: readonly string[]
  adminGroups: readonly string[]
  anonymousTenant: string
}

/** The auth scheme is case-insensitive (RFC 9110 §11.1); the token is RFC 6750 §2.1 b64token. */
const BEARER = /^Bearer +([A-Za-z0-9_.~+/-]+=*)$/i

function splitHeader(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

function unauthenticated(detail: string, error?: string): AppError {
  const challenge = error ? `Bearer realm="flowgate", error="${error}"` : 'Bearer realm="flowgate"'
  return new AppError('FG_ERR_AUTH_UNAUTHENTICATED', { detail, headers: { 'www-authenticate': challenge } })
}

function checkedTenant(tenant: string): string {
  const problem = tenantProblem(tenant)
  if (problem) throw new AppError('FG_ERR_AUTH_TENANT_INVALID', { detail: problem })
  return tenant
}

export const identity = (options: IdentityOptions): MiddlewareHandler<AppEnv> => {
  const { mode, claims } = options
  if (tenantProblem(options.anonymousTenant) && mode === 'none') {
    throw new Error(`identity: anonymous tenant "${options.anonymousTenant}" is not a valid tenant id`)
  }
  const principal = (tenant: string, user: string, roles: string[], groups: string[]): Principal => ({
    tenant: checkedTenant(tenant),
    user,
    roles,
    groups,
    isAdmin: intersects(roles, options.adminRoles) || intersects(groups, options.adminGroups),
  })

  const fromHeaders = (header: (name: string) => string | undefined): Principal => {
    const tenant = header('x-tenant-id')?.trim()
    const user = header('from')?.trim()
    if (!tenant) throw unauthenticated('The x-tenant-id header is missing.')
    if (!user) throw unauthenticated('The from header is missing.')
    return principal(
      tenant,
      user,
      splitHeader(header('x-auth-user-roles')),
      splitHeader(header('x-auth-user-groups'))
    )
  }

  const fromToken = async (authorization: string | undefined): Promise<Principal> => {
    if (!options.verifier) {
      throw new AppError('FG_ERR_AUTH_NOT_CONFIGURED', { detail: 'Set auth.jwks_url and auth.issuer.' })
    }
    const token = authorization ? BEARER.exec(authorization)?.[1] : undefined
    if (!token) throw unauthenticated('A bearer token is required.')
    let verified: Awaited<ReturnType<TokenVerifier>>
    try {
      verified = await options.verifier(token)
    } catch (error) {
      if (error instanceof KeysUnavailableError) {
        throw new AppError('FG_ERR_AUTH_KEYS_UNAVAILABLE', {
          detail: 'The token signing keys cannot be fetched now; try again later.',
          headers: { 'retry-after': '5' },
          cause: error,
        })
      }
      throw new AppError('FG_ERR_AUTH_UNAUTHENTICATED', {
        detail: 'The bearer token is invalid or expired.',
        headers: { 'www-authenticate': 'Bearer realm="flowgate", error="invalid_token"' },
        cause: error,
      })
    }
    const tenant =
      verified.issuerTenant ?? (claims.tenant ? firstString(verified.claims, [claims.tenant]) : undefined)
    const user = firstString(verified.claims, claims.user)
    if (!tenant) throw unauthenticated('The token names no tenant.', 'invalid_token')
    if (!user) throw unauthenticated('The token names no user.', 'invalid_token')
    return principal(
      tenant,
      user,
      claimList(verified.claims, claims.roles),
      claimList(verified.claims, claims.groups).map(groupName)
    )
  }

  return async function identity(c, next) {
    // Nested gateway apps share one identity: it is established once per request.
    if (c.get('principal')) return next()
    if (mode === 'headers')
      c.set(
        'principal',
        fromHeaders((name) => c.req.header(name))
      )
    else if (mode === 'jwt') c.set('principal', await fromToken(c.req.header('authorization')))
    else c.set('principal', principal(options.anonymousTenant, 'anonymous', [], []))
    await next()
  }
}
