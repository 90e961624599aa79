/** @module Settings of [auth]: where identity comes from, shared by every module (the gateway, exec, plugins, the editor). */
import { z } from 'zod'
import { byteSize, millis, setting, stringList, templatedUrl } from '../setting.ts'

export const auth = z.strictObject({
  mode: setting(z.enum(['headers', 'jwt', 'none']).default('jwt'), {
    description:
      'Where identity comes from: trusted headers (behind an authenticating ingress), a verified JWT, or none (loopback only).',
  }),
  jwks_url: setting(templatedUrl().optional(), {
    description:
      'JWKS of the token issuer (jwt mode). May contain {tenant}, e.g. http://kc:8180/realms/{tenant}/protocol/openid-connect/certs, for one Keycloak realm per tenant.',
  }),
  issuer: setting(z.string().min(1).optional(), {
    description:
      'Required `iss` of tokens (jwt mode). With {tenant} (http://kc:8180/realms/{tenant}) the tenant is the realm the token was issued by.',
  }),
  audience: setting(z.string().min(1).optional(), { description: 'Required `aud` of tokens.' }),
  claim_tenant: setting(z.string().default(''), {
    description: 'Claim holding the tenant when the issuer has no {tenant} (dotted path, e.g. "tenant").',
  }),
  claim_user: setting(stringList().default(['preferred_username', 'email', 'sub']), {
    description: 'Claims tried in order for the user id.',
  }),
  claim_roles: setting(z.string().min(1).default('realm_access.roles'), {
    description: 'Claim (dotted path) holding the role list.',
  }),
  claim_groups: setting(z.string().min(1).default('groups'), {
    description:
      'Claim (dotted path) holding the group list (a leading "/" of Keycloak group paths is dropped).',
  }),
  anonymous_tenant: setting(z.string().min(1).default('default'), {
    description: 'Tenant of requests when mode = "none" (allowed only on a loopback listener).',
  }),
  deny_status: setting(
    z
      .number()
      .refine((status) => status === 403 || status === 427, 'expected 403 or 427')
      .transform((status) => status as 403 | 427)
      .default(403),
    {
      description: 'Status of an RBAC denial; 427 reproduces the original workflow-proxy.',
    }
  ),
  algorithms: setting(stringList().default(['RS256']), {
    description: 'Accepted JWT signature algorithms.',
  }),
  jwks_max_bytes: setting(byteSize().default(256 * 1024), {
    description:
      'Largest JWKS answer read; a bigger key set is cut off there and its tokens get 503 until it shrinks.',
  }),
  jwks_max_keys: setting(z.number().int().min(1).max(10_000).default(100), {
    description: 'Most keys a JWKS may hold.',
  }),
  jwks_timeout_ms: setting(millis().default(5_000), {
    description: 'Deadline of a JWKS fetch, body included.',
  }),
  clock_skew_s: setting(z.number().int().min(0).max(600).default(30), {
    description: 'Tolerated clock difference when checking `exp` and `nbf`.',
  }),
  admin_roles: setting(stringList().default(['OWNER']), {
    description: 'Roles that make a user an admin (compared trimmed, case-insensitively).',
  }),
  admin_groups: setting(stringList().default(['network-admin']), {
    description: 'Groups that make a user an admin (compared trimmed, case-insensitively).',
  }),
})
