/**
 * @module The one token verifier and the one identity middleware of [auth], built once per app and
 * shared by every module (the gateway's routes, exec's credentials, plugins and the editor next).
 */
import type { MiddlewareHandler } from 'hono'
import type { Config } from '../config/schema.ts'
import type { AppEnv } from '../env.ts'
import { identity } from '../middleware/identity.ts'
import type { Logger } from '../ops/logger.ts'
import type { TokenVerifier } from './jwt-verifier.ts'

/**
 * The verifier of [auth] in jwt mode with a key set and an issuer, else undefined. jose is loaded
 * on the first token only: a process that never sees one (exec serve with tokens) stays smaller,
 * and a smaller process forks commands faster.
 */
export function verifierFromAuth(auth: Config['auth'], logger: Logger): TokenVerifier | undefined {
  const { jwks_url: jwksUrl, issuer } = auth
  if (!jwksUrl || !issuer) return undefined
  let verifier: Promise<TokenVerifier> | undefined
  return async (token) => {
    verifier ??= import('./jwt-verifier.ts').then(({ createJwtVerifier }) =>
      createJwtVerifier({
        jwksUrl,
        issuer,
        audience: auth.audience,
        algorithms: auth.algorithms,
        clockSkewS: auth.clock_skew_s,
        jwksMaxBytes: auth.jwks_max_bytes,
        jwksMaxKeys: auth.jwks_max_keys,
        jwksTimeoutMs: auth.jwks_timeout_ms,
        onWarning: (message, fields) => logger.warn(message, fields),
      })
    )
    return (await verifier)(token)
  }
}

/** The identity middleware of [auth] over `verifier` (used in jwt mode only). */
export function identityFromAuth(
  auth: Config['auth'],
  verifier: TokenVerifier | undefined
): MiddlewareHandler<AppEnv> {
  return identity({
    mode: auth.mode,
    verifier: auth.mode === 'jwt' ? verifier : undefined,
    claims: {
      tenant: auth.claim_tenant,
      user: auth.claim_user,
      roles: auth.claim_roles,
      groups: auth.claim_groups,
    },
    adminRoles: auth.admin_roles,
    adminGroups: auth.admin_groups,
    anonymousTenant: auth.anonymous_tenant,
  })
}
