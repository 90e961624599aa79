/**
 * @module The one contract every capability plugs into (types only): a module gets one context —
 * its router, its own options, a child logger, the ops registries, the shared services and its
 * lifecycle hooks — and registers through it. Portable modules (the gateway, the task proxy) and
 * node-only ones (src/node/<module>/) are alike; src/compose.ts mounts them.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono'
import type { Config } from './config/schema.ts'
import type { AppEnv, Capabilities } from './env.ts'
import type { TokenVerifier } from './identity/jwt-verifier.ts'
import type { RequestRecorder } from './middleware/metrics.ts'
import type { Logger } from './ops/logger.ts'
import type { OpenApiRegistry } from './ops/openapi.ts'
import type { MetricsRegistry } from './ops/prometheus.ts'
import type { Readiness } from './ops/readiness.ts'
import type { Upstream } from './proxy/forward.ts'

export type Capability = Exclude<keyof Capabilities, 'runtime'>

/** One open socket of a module's WebSocket route, as the listener hands it over. */
export interface ModuleSocket {
  /** Sends a text message; dropped once the socket is closing. */
  send(data: string): void
  close(code?: number, reason?: string): void
}

/** What a module does with one accepted socket; messages over the route's cap never reach it. */
export interface SocketHandlers {
  onOpen?(socket: ModuleSocket): void
  /** Text messages only: a binary one closes the socket with 1003; a throw here closes it with 1011. */
  onMessage(data: string, socket: ModuleSocket): void
  /**
   * Once per accepted socket, whoever closed it: 1001 on shutdown, 1009 over the cap, and 1006
   * when the socket never opened after accept (the client left, the server began shutting down).
   */
  onClose?(code: number, reason: string): void
}

/**
 * A WebSocket route: upgrades at `path` (a whole hono route path, under the module's prefix),
 * messages capped. Served by the Node entry only. Its middleware is the module's own
 * (`ctx.router.use(path, ctx.services.identity)`), run with the app's chain before accept; a
 * refusal there is answered as for any request, and nothing upgrades. A request without
 * `Upgrade: websocket` is answered 426.
 */
export interface WebSocketRoute {
  path: string
  /** Larger messages close the socket with 1009 (RFC 6455 §7.4.1) before the module sees them. */
  maxMessageBytes: number
  /**
   * Runs after the app's chain and the module's middleware; throws an AppError to refuse. The
   * chain records an accepted upgrade as status 200 (fetch has no 101).
   */
  accept(c: Context<AppEnv>): SocketHandlers | Promise<SocketHandlers>
}

/** Where the gateway's schedule routes keep schedules: schellar's URL, or a module in-process. */
export interface ScheduleStore {
  current(): Upstream | undefined
  /** A schedules module answers in place of the configured scheduler.url. */
  replace(upstream: Upstream): void
}

/** Services built once per app from the configuration and shared by every module. */
export interface SharedServices {
  /** The identity middleware of [auth]: sets `c.var.principal` or refuses the request. */
  identity: MiddlewareHandler<AppEnv>
  /** The token verifier of [auth] (jwt mode with jwks_url and issuer), for modules' own auth. */
  verifier: TokenVerifier | undefined
  /** The Conductor engine (conductor.url, deadlines, the entry's fetch). */
  conductor: Upstream
  schedules: ScheduleStore
}

/** Answers some requests before the router (the task proxy's direct pass-through). */
export interface Intercept {
  accepts(request: Request): boolean
  serve(request: Request): Promise<Response>
}

export interface ModuleContext<Options> {
  /** The module's routes, mounted at the app's root. */
  router: Hono<AppEnv>
  /**
   * Where the module's routes live: its own prefix, or the one its listener gives it (exec serve
   * puts exec at the root). The module writes its paths under it, so they are whole for routing,
   * documentation and logs alike.
   */
  prefix: string
  options: Options
  /** The app's logger with `module: <name>`. */
  logger: Logger
  readiness: Readiness
  metrics: MetricsRegistry
  openapi: OpenApiRegistry
  services: SharedServices
  capabilities: Capabilities
  /** Background work begun once the listeners are up (a poller, a scheduler's timer). */
  onStart(start: () => void | Promise<void>): void
  /** Run on shutdown, after the listeners have drained, in reverse order of registration. */
  onStop(stop: () => void | Promise<void>): void
  websocket(route: WebSocketRoute): void
  intercept(hook: Intercept): void
  /** Counts a request an intercept answered, in the app's request metrics. */
  recordRequest: RequestRecorder
  /** The listener's logger: an intercept's request lines read as the chain's own. */
  requestLogger: Logger
}

export interface FlowgateModule<Options = unknown> {
  name: string
  /** Where its routes live by default: `/exec`, or `` for the root. */
  prefix: string
  /** Runtime capabilities it cannot work without (node-only modules). */
  needs?: readonly Capability[]
  enabled(config: Readonly<Config>): boolean
  /** Its settings, taken from the configuration: a module reads nothing else of it. */
  options(config: Readonly<Config>): Options
  /** Adds routes, checks, metrics and hooks; synchronous, long work goes to onStart. */
  register(ctx: ModuleContext<Options>): void
}
