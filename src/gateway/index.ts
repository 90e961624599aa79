/**
 * @module The Conductor gateway: identity, then a whitelist of Conductor routes under `/api` and,
 * for workflow-proxy clients, `/proxy/api`. Any other path is a 404 that never reaches Conductor.
 */
import { Hono } from 'hono'
import type { Config } from '../config/schema.ts'
import type { AppEnv } from '../env.ts'
import { createJwtVerifier, type TokenVerifier } from '../identity/jwt-verifier.ts'
import { identity } from '../middleware/identity.ts'
import type { Logger } from '../ops/logger.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { createUpstream } from '../proxy/forward.ts'
import { bulkRoutes } from './bulk.ts'
import type { GatewayContext } from './context.ts'
import { GATEWAY_PREFIXES } from './docs.ts'
import { eventRoutes } from './events.ts'
import { editableRoute, extraRoutes } from './extras.ts'
import { taskDefRoutes } from './metadata-taskdefs.ts'
import { metadataWorkflowRoutes } from './metadata-workflow.ts'
import { scheduleRoutes } from './schedules.ts'
import { taskRoutes } from './tasks.ts'
import { workflowRoutes } from './workflows.ts'

export interface ConductorGatewayOptions {
  config: Readonly<Config>
  openapi: OpenApiRegistry
  fetch?: typeof fetch | undefined
  /** Where JWKS trouble is told (once per kind). */
  logger?: Logger | undefined
}

function verifierFor(auth: Config['auth'], logger: Logger | undefined): TokenVerifier | undefined {
  if (auth.mode !== 'jwt' || !auth.jwks_url || !auth.issuer) return undefined
  return createJwtVerifier({
    jwksUrl: auth.jwks_url,
    issuer: auth.issuer,
    audience: auth.audience,
    algorithms: auth.algorithms,
    clockSkewS: auth.clock_skew_s,
    jwksMaxBytes: auth.jwks_max_bytes,
    jwksMaxKeys: auth.jwks_max_keys,
    jwksTimeoutMs: auth.jwks_timeout_ms,
    onWarning: (message, fields) => logger?.warn(message, fields),
  })
}

/** Mount with `app.route('/', conductorGateway(...))`. */
export function conductorGateway(options: ConductorGatewayOptions): Hono<AppEnv> {
  const { config, openapi } = options
  const gateway: GatewayContext = {
    upstream: createUpstream({
      baseUrl: config.conductor.url,
      timeoutMs: config.conductor.timeout_ms,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    rewriteLimit: config.conductor.rewrite_limit,
    pollTimeoutMs: config.conductor.poll_timeout_ms,
    denyStatus: config.auth.deny_status,
    allowedTypes: new Set(config.conductor.system_tasks.map((type) => type.toUpperCase())),
  }
  const who = identity({
    mode: config.auth.mode,
    verifier: verifierFor(config.auth, options.logger),
    claims: {
      tenant: config.auth.claim_tenant,
      user: config.auth.claim_user,
      roles: config.auth.claim_roles,
      groups: config.auth.claim_groups,
    },
    adminRoles: config.auth.admin_roles,
    adminGroups: config.auth.admin_groups,
    anonymousTenant: config.auth.anonymous_tenant,
  })

  const api = new Hono<AppEnv>()
  api.use('*', who)
  api.route('/', metadataWorkflowRoutes(gateway, openapi))
  api.route('/', taskDefRoutes(gateway, openapi))
  api.route('/', bulkRoutes(gateway, openapi))
  api.route('/', extraRoutes(gateway, openapi))
  api.route('/', workflowRoutes(gateway, openapi))
  api.route('/', taskRoutes(gateway, openapi))
  api.route('/', eventRoutes(gateway, openapi))

  const app = new Hono<AppEnv>()
  for (const base of GATEWAY_PREFIXES) app.route(base, api)
  const scheduler = config.scheduler.url
    ? createUpstream({
        baseUrl: config.scheduler.url,
        timeoutMs: config.conductor.timeout_ms,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      })
    : undefined
  for (const base of ['/proxy/schedule', '/api/schedules']) {
    const schedules = new Hono<AppEnv>()
    schedules.use('*', who)
    schedules.route('/', scheduleRoutes({ scheduler, gateway }, openapi, base))
    app.route(base, schedules)
  }
  const proxy = new Hono<AppEnv>()
  proxy.use('*', who)
  proxy.route('/', editableRoute(openapi))
  app.route('/proxy', proxy)
  return app
}
