/** @module Settings of the Conductor gateway: [auth], [conductor], [task_proxy], [scheduler]. */
import { z } from 'zod'
import { byteSize, httpUrl, millis, port, setting, stringList, templatedUrl } from '../setting.ts'

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

export const conductor = z.strictObject({
  url: setting(httpUrl().default('http://127.0.0.1:8080'), {
    description: 'Base URL of the Conductor server (without /api).',
  }),
  timeout_ms: setting(millis().default(30_000), {
    description: 'Deadline of an ordinary upstream call.',
  }),
  poll_timeout_ms: setting(millis().default(60_000), {
    description: 'Deadline of a task long poll.',
  }),
  system_tasks: setting(
    stringList().default([
      'SUB_WORKFLOW',
      'DECISION',
      'SWITCH',
      'DO_WHILE',
      'FORK',
      'FORK_JOIN',
      'FORK_JOIN_DYNAMIC',
      'JOIN',
      'EXCLUSIVE_JOIN',
      'WAIT',
      'TERMINATE',
      'SET_VARIABLE',
    ]),
    {
      description:
        'System task types tenants may use (SIMPLE is always allowed). Server-run types such as HTTP, INLINE, LAMBDA, JSON_JQ_TRANSFORM, KAFKA_PUBLISH, EVENT ignore task domains: allow them only if tenants may share the server.',
    }
  ),
  rewrite_limit: setting(byteSize().default(16 * 1024 ** 2), {
    description: 'Largest upstream JSON body the gateway rewrites (list of definitions, an execution).',
  }),
})

export const taskProxy = z.strictObject({
  enabled: setting(z.boolean().default(true), {
    description: 'Serve the worker-facing task proxy on its own listener (Node, Bun, Deno).',
  }),
  host: setting(z.string().min(1).default('127.0.0.1'), {
    description: 'Address the worker-facing task proxy binds to.',
  }),
  port: setting(port().default(8089), { description: 'Port of the worker-facing task proxy.' }),
  pass_through: setting(z.enum(['worker', 'all']).default('worker'), {
    description:
      'What the task proxy passes to Conductor besides polls: "worker" only the calls official workers make (task updates, logs, acks, external payload locations; docs/GATEWAY.md), "all" the whole Conductor API without identity, as the original did.',
  }),
  tenant_source: setting(z.enum(['keycloak', 'static']).default('static'), {
    description: 'Where the list of tenants to poll for comes from.',
  }),
  tenants: setting(stringList().default([]), {
    description: 'Tenants polled for when tenant_source = "static".',
  }),
  keycloak_url: setting(httpUrl().optional(), {
    description: 'Keycloak base URL whose realms are the tenants.',
  }),
  keycloak_admin_realm: setting(z.string().min(1).default('master'), {
    description: 'Realm the admin user logs in to; it is never a tenant.',
  }),
  keycloak_client_id: setting(z.string().min(1).default('admin-cli'), {
    description: 'Client used to read the realm list.',
  }),
  keycloak_username: setting(z.string().min(1).default('admin'), {
    description: 'Admin user used to read the realm list.',
  }),
  keycloak_password: setting(z.string().optional(), {
    description: 'Password of that admin user.',
    secret: true,
  }),
  refresh_ms: setting(millis().default(15_000), {
    description: 'How often the tenant list is reloaded.',
  }),
  retry_ms: setting(millis().default(5_000), {
    description: 'Delay before retrying a failed tenant list load.',
  }),
})

export const scheduler = z.strictObject({
  url: setting(httpUrl().optional(), {
    description: 'A schellar-compatible schedule service; schedule routes go there when set.',
  }),
})
