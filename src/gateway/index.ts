/**
 * @module The Conductor gateway module: identity, then a whitelist of Conductor routes under `/api`
 * and, for workflow-proxy clients, `/proxy/api`, and the schedule routes over the schedule store.
 * Any other path is a 404 that never reaches Conductor. Portable: every entry mounts it.
 */
import { Hono } from 'hono'
import type { Config } from '../config/schema.ts'
import type { AppEnv } from '../env.ts'
import type { FlowgateModule } from '../module.ts'
import { bulkRoutes } from './bulk.ts'
import type { GatewayContext } from './context.ts'
import { GATEWAY_PREFIXES } from './docs.ts'
import { eventRoutes } from './events.ts'
import { editableRoute, extraRoutes } from './extras.ts'
import { taskDefRoutes } from './metadata-taskdefs.ts'
import { metadataWorkflowRoutes } from './metadata-workflow.ts'
import { scheduleRoutes } from './schedules.ts'
import { singleOpRoutes } from './single-ops.ts'
import { taskRoutes } from './tasks.ts'
import { workflowRoutes } from './workflows.ts'

export interface GatewayOptions {
  rewriteLimit: number
  pollTimeoutMs: number
  denyStatus: 403 | 427
  systemTasks: readonly string[]
}

export const gatewayModule: FlowgateModule<GatewayOptions> = {
  name: 'gateway',
  prefix: '',
  enabled: () => true,
  options: (config: Readonly<Config>) => ({
    rewriteLimit: config.conductor.rewrite_limit,
    pollTimeoutMs: config.conductor.poll_timeout_ms,
    denyStatus: config.auth.deny_status,
    systemTasks: config.conductor.system_tasks,
  }),
  register({ router, options, openapi, services }) {
    const gateway: GatewayContext = {
      upstream: services.conductor,
      rewriteLimit: options.rewriteLimit,
      pollTimeoutMs: options.pollTimeoutMs,
      denyStatus: options.denyStatus,
      allowedTypes: new Set(options.systemTasks.map((type) => type.toUpperCase())),
    }
    const who = services.identity
    const api = new Hono<AppEnv>()
    api.use('*', who)
    api.route('/', metadataWorkflowRoutes(gateway, openapi))
    api.route('/', taskDefRoutes(gateway, openapi))
    api.route('/', bulkRoutes(gateway, openapi))
    api.route('/', extraRoutes(gateway, openapi))
    api.route('/', workflowRoutes(gateway, openapi))
    // After the bulk routes: `/workflow/bulk/pause` is not an execution called `bulk`.
    api.route('/', singleOpRoutes(gateway, openapi))
    api.route('/', taskRoutes(gateway, openapi))
    api.route('/', eventRoutes(gateway, openapi))
    for (const base of GATEWAY_PREFIXES) router.route(base, api)
    for (const base of ['/proxy/schedule', '/api/schedules']) {
      const schedules = new Hono<AppEnv>()
      schedules.use('*', who)
      schedules.route('/', scheduleRoutes({ store: services.schedules, gateway }, openapi, base))
      router.route(base, schedules)
    }
    const proxy = new Hono<AppEnv>()
    proxy.use('*', who)
    proxy.route('/', editableRoute(openapi))
    router.route('/proxy', proxy)
  },
}
