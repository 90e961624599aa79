/**
 * @module Mounts modules on an app: the shared services once, then each enabled module whose
 * capabilities the runtime has, through its one context. Every entry composes this way.
 */
import { Hono } from 'hono'
import type { FlowgateApp } from './app.ts'
import type { AppDeps, AppEnv } from './env.ts'
import { identityFromAuth, verifierFromAuth } from './identity/from-config.ts'
import type {
  FlowgateModule,
  Intercept,
  ModuleContext,
  ScheduleStore,
  SharedServices,
  WebSocketRoute,
} from './module.ts'
import { createUpstream, type Upstream } from './proxy/forward.ts'

/** A module and, where a listener wants it elsewhere, its prefix (exec serve mounts exec at ``). */
export type MountSpec = FlowgateModule<unknown> | { module: FlowgateModule<unknown>; prefix: string }

type Hook = () => void | Promise<void>

export interface ComposedApp extends FlowgateApp {
  services: SharedServices
  mounted: string[]
  skipped: Array<{ name: string; reason: string }>
  /** WebSocket routes the listener must upgrade, with their full paths. */
  websockets: WebSocketRoute[]
  /** Begins the modules' background work (after the listeners are up). */
  start(): Promise<void>
  /** Runs the modules' stop hooks, last registered first; never throws. */
  stop(): Promise<void>
}

/** The services of [auth] and [conductor], built once per process and shared by its apps. */
export function sharedServices(deps: AppDeps): SharedServices {
  const { config, logger } = deps
  const fetcher = deps.fetch ? { fetch: deps.fetch } : {}
  const verifier = verifierFromAuth(config.auth, logger)
  const configured = config.scheduler.url
    ? createUpstream({
        baseUrl: config.scheduler.url,
        timeoutMs: config.conductor.timeout_ms,
        ...fetcher,
      })
    : undefined
  let store: Upstream | undefined = configured
  const schedules: ScheduleStore = {
    current: () => store,
    replace: (upstream) => {
      store = upstream
    },
  }
  return {
    identity: identityFromAuth(config.auth, verifier),
    verifier,
    conductor: createUpstream({
      baseUrl: config.conductor.url,
      timeoutMs: config.conductor.timeout_ms,
      ...fetcher,
    }),
    schedules,
  }
}

function specOf(spec: MountSpec): { module: FlowgateModule<unknown>; prefix: string } {
  return 'module' in spec ? spec : { module: spec, prefix: spec.prefix }
}

/**
 * Mounts `modules` on `flowgate` (built by createApp) and returns the composed app.
 * @example const composed = composeApp(createApp(deps), deps, [gatewayModule]); await composed.start()
 */
export function composeApp(
  flowgate: FlowgateApp,
  deps: AppDeps,
  modules: readonly MountSpec[],
  services: SharedServices = sharedServices(deps)
): ComposedApp {
  const starts: Hook[] = []
  const stops: Hook[] = []
  const websockets: WebSocketRoute[] = []
  const intercepts: Intercept[] = []
  const mounted: string[] = []
  const skipped: Array<{ name: string; reason: string }> = []
  for (const spec of modules) {
    const { module, prefix } = specOf(spec)
    if (!module.enabled(deps.config)) {
      skipped.push({ name: module.name, reason: 'disabled by configuration' })
      continue
    }
    const missing = (module.needs ?? []).filter((capability) => !deps.capabilities[capability])
    if (missing.length > 0) {
      const reason = `runtime ${deps.capabilities.runtime} lacks ${missing.join(', ')}`
      deps.logger.warn('module not mounted', { module: module.name, reason })
      skipped.push({ name: module.name, reason })
      continue
    }
    const router = new Hono<AppEnv>()
    const context: ModuleContext<unknown> = {
      router,
      prefix,
      options: module.options(deps.config),
      logger: deps.logger.child({ module: module.name }),
      readiness: flowgate.readiness,
      metrics: flowgate.metrics,
      openapi: flowgate.openapi,
      services,
      capabilities: deps.capabilities,
      onStart: (hook) => void starts.push(hook),
      onStop: (hook) => void stops.push(hook),
      websocket: (route) => void websockets.push(route),
      intercept: (hook) => void intercepts.push(hook),
      recordRequest: flowgate.recordRequest,
      requestLogger: flowgate.logger,
    }
    module.register(context)
    flowgate.app.route('/', router)
    mounted.push(module.name)
  }
  if (intercepts.length > 0) {
    // Hooks answer their requests before hono's dispatch; app.fetch is what every entry and
    // app.request() in tests call, so all of them take it.
    const dispatch = flowgate.app.fetch
    flowgate.app.fetch = (request, env, executionCtx) => {
      const hook = intercepts.find((candidate) => candidate.accepts(request))
      return hook ? hook.serve(request) : dispatch(request, env, executionCtx)
    }
  }
  let stopping: Promise<void> | undefined
  return {
    ...flowgate,
    services,
    mounted,
    skipped,
    websockets,
    start: async () => {
      for (const hook of starts) await hook()
    },
    stop: () => {
      stopping ??= (async () => {
        for (const hook of [...stops].reverse()) {
          try {
            await hook()
          } catch (error) {
            deps.logger.error('module stop failed', { error })
          }
        }
      })()
      return stopping
    },
  }
}
