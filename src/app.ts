/**
 * @module Builds the portable Hono app of one listener: the middleware chain, the operational
 * routes and the error boundary. Capabilities are modules, mounted on it by src/compose.ts.
 */
import { Hono } from 'hono'
import type { AppDeps, AppEnv } from './env.ts'
import { apiDocs } from './handlers/api-docs.ts'
import { health } from './handlers/health.ts'
import { metricsRoute } from './handlers/metrics.ts'
import { accessLog } from './middleware/access-log.ts'
import { errorHandler, methodNotAllowed, notFound } from './middleware/errors.ts'
import { limits } from './middleware/limits.ts'
import { metrics, type RequestRecorder, requestRecorder } from './middleware/metrics.ts'
import { requestId } from './middleware/request-id.ts'
import type { Logger } from './ops/logger.ts'
import { OpenApiRegistry } from './ops/openapi.ts'
import { MetricsRegistry } from './ops/prometheus.ts'
import { Readiness } from './ops/readiness.ts'

export const VERSION = '0.1.0'

/** The app plus the registries its modules extend. */
export interface FlowgateApp {
  app: Hono<AppEnv>
  readiness: Readiness
  metrics: MetricsRegistry
  openapi: OpenApiRegistry
  /** The one request recorder of `metrics` (what the chain records; intercepts record here too). */
  recordRequest: RequestRecorder
  /** The listener's logger (the task proxy's lines carry `listener: task-proxy`). */
  logger: Logger
}

export interface CreateAppOptions {
  /**
   * `main` (the default): the user-facing chain with 405 answers and the API viewer. `task-proxy`:
   * the workers' listener, a separate trust zone: health and metrics only, its log lines marked.
   */
  listener?: 'main' | 'task-proxy'
}

/**
 * Creates the app of one listener. No I/O happens here: runtime entries serve `app.fetch`.
 * @example const flowgate = createApp({ config, logger, capabilities }); composeApp(flowgate, deps, modules)
 */
export function createApp(deps: AppDeps, options: CreateAppOptions = {}): FlowgateApp {
  const readiness = deps.readiness ?? new Readiness()
  const registry = deps.metrics ?? new MetricsRegistry()
  const openapi = deps.openapi ?? new OpenApiRegistry()
  const version = deps.version ?? VERSION
  const main = options.listener !== 'task-proxy'
  const { config } = deps
  const logger = main ? deps.logger : deps.logger.child({ listener: 'task-proxy' })
  const recordRequest = requestRecorder(registry)

  const app = new Hono<AppEnv>()
  app.use(requestId())
  app.use(accessLog({ logger, enabled: config.log.access }))
  app.use(metrics({ registry, recorder: recordRequest }))
  if (main) app.use(methodNotAllowed(app))
  app.use(limits({ maxBodyBytes: config.server.body_limit }))

  app.route('/', health({ readiness, openapi, version, runtime: deps.capabilities.runtime }))
  app.route('/', metricsRoute({ registry, openapi }))
  if (main) app.route('/', apiDocs({ openapi, assets: deps.assets, version }))

  app.notFound(notFound())
  app.onError(errorHandler(deps.logger))
  return { app, readiness, metrics: registry, openapi, recordRequest, logger }
}
