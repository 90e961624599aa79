/** @module Builds the portable Hono app: middleware chain, operational routes, error boundary. */
import { Hono } from 'hono'
import type { AppDeps, AppEnv } from './env.ts'
import { conductorGateway } from './gateway/index.ts'
import { apiDocs } from './handlers/api-docs.ts'
import { health } from './handlers/health.ts'
import { metricsRoute } from './handlers/metrics.ts'
import { accessLog } from './middleware/access-log.ts'
import { errorHandler, methodNotAllowed, notFound } from './middleware/errors.ts'
import { limits } from './middleware/limits.ts'
import { metrics, requestRecorder } from './middleware/metrics.ts'
import { requestId } from './middleware/request-id.ts'
import type { Logger } from './ops/logger.ts'
import { OpenApiRegistry } from './ops/openapi.ts'
import { MetricsRegistry } from './ops/prometheus.ts'
import { Readiness } from './ops/readiness.ts'
import { type DirectPassThrough, directPassThrough } from './task-proxy/direct-pass.ts'
import { taskProxy } from './task-proxy/task-proxy.ts'
import type { TenantRegistry } from './task-proxy/tenant-registry.ts'

export const VERSION = '0.1.0'

/** The app plus the registries modules extend after creation (node-only modules, tests). */
export interface FlowgateApp {
  app: Hono<AppEnv>
  readiness: Readiness
  metrics: MetricsRegistry
  openapi: OpenApiRegistry
}

export interface CreateAppOptions {
  /**
   * Mount the Conductor gateway's routes (the default). `flowgate exec serve` does not: there,
   * `POST /<command path>` must run any command under the root, `api/workflow` included, as under
   * httpexec, rather than reach a gateway route of the same path.
   */
  gateway?: boolean
}

/**
 * Creates the app. No I/O happens here: runtime entries serve `app.fetch`.
 * @example const { app } = createApp({ config, logger, capabilities }); serve({ fetch: app.fetch })
 */
export function createApp(deps: AppDeps, options: CreateAppOptions = {}): FlowgateApp {
  const readiness = deps.readiness ?? new Readiness()
  const registry = deps.metrics ?? new MetricsRegistry()
  const openapi = deps.openapi ?? new OpenApiRegistry()
  const version = deps.version ?? VERSION
  const { config, logger } = deps

  const app = new Hono<AppEnv>()
  app.use(requestId())
  app.use(accessLog({ logger, enabled: config.log.access }))
  app.use(metrics({ registry }))
  app.use(methodNotAllowed(app))
  app.use(limits({ maxBodyBytes: config.server.body_limit }))

  app.route('/', health({ readiness, openapi, version, runtime: deps.capabilities.runtime }))
  app.route('/', metricsRoute({ registry, openapi }))
  app.route('/', apiDocs({ openapi, assets: deps.assets, version }))
  if (options.gateway !== false)
    app.route('/', conductorGateway({ config, openapi, fetch: deps.fetch, logger }))

  app.notFound(notFound())
  app.onError(errorHandler(logger))
  return { app, readiness, metrics: registry, openapi }
}

/** The task proxy app, with its direct pass-through for runtime entries that read requests themselves. */
export interface TaskProxyApp extends FlowgateApp {
  direct: DirectPassThrough
  /** The task proxy's logger (its lines carry the listener). */
  logger: Logger
}

/**
 * The worker-facing task proxy app (served on its own listener, task_proxy.port). Readiness
 * fails until the tenant list is loaded.
 */
export function createTaskProxyApp(deps: AppDeps & { registry: TenantRegistry }): TaskProxyApp {
  const readiness = deps.readiness ?? new Readiness()
  const registry = deps.metrics ?? new MetricsRegistry()
  const openapi = deps.openapi ?? new OpenApiRegistry()
  const { config, logger } = deps
  readiness.register('tenants', async () => {
    await deps.registry.prepare?.()
    if (!deps.registry.ready()) throw new Error('the tenant list is not loaded yet')
  })
  const proxyLogger = logger.child({ listener: 'task-proxy' })
  const record = requestRecorder(registry)
  const app = new Hono<AppEnv>()
  app.use(requestId())
  app.use(accessLog({ logger: proxyLogger, enabled: config.log.access }))
  app.use(metrics({ registry, recorder: record }))
  app.use(limits({ maxBodyBytes: config.server.body_limit }))
  app.route(
    '/',
    health({ readiness, openapi, version: deps.version ?? VERSION, runtime: deps.capabilities.runtime })
  )
  app.route('/', metricsRoute({ registry, openapi }))
  app.route('/', taskProxy({ config, registry: deps.registry, fetch: deps.fetch }))
  app.notFound(notFound())
  app.onError(errorHandler(logger))
  // Body-less pass-through requests skip hono's dispatch (the same rules; task-proxy-pass.ts).
  // Every runtime entry, and app.request() in tests, calls app.fetch, so all of them take it.
  const direct = directPassThrough({ config, logger: proxyLogger, record, fetch: deps.fetch })
  const dispatch = app.fetch
  app.fetch = (request, env, executionCtx) =>
    direct.accepts(request) ? direct.serve(request) : dispatch(request, env, executionCtx)
  return { app, readiness, metrics: registry, openapi, direct, logger: proxyLogger }
}
