/** @module The types every part of the app shares: AppEnv for Hono, AppDeps. */
import type { Config } from './config/schema.ts'
import type { Principal } from './identity/principal.ts'
import type { Logger } from './ops/logger.ts'
import type { OpenApiRegistry } from './ops/openapi.ts'
import type { MetricsRegistry } from './ops/prometheus.ts'
import type { Readiness } from './ops/readiness.ts'

export type RuntimeKey = 'node' | 'bun' | 'deno' | 'workerd' | 'other'

/** What the runtime can do; computed once by src/runtime/capabilities.ts. */
export interface Capabilities {
  runtime: RuntimeKey
  childProcess: boolean
  fs: boolean
  webSocketServer: boolean
}

/** Reads a static file the runtime ships (API viewer assets); undefined when absent. */
export type AssetSource = (name: string) => Promise<Response | undefined>

export interface AppVariables {
  requestId: string
  logger: Logger
  principal?: Principal
  /** Set by the not-found handler, so logs and metrics label unmatched requests alike. */
  unmatched?: boolean
  /** Set by withRequestId(): the handler's response already carries `x-request-id`. */
  requestIdSent?: boolean
}

export type AppEnv = {
  Bindings: Record<string, unknown>
  Variables: AppVariables
}

/** Everything createApp() needs; runtime entries build it. */
export interface AppDeps {
  config: Readonly<Config>
  logger: Logger
  capabilities: Capabilities
  /** Modules add their checks; /readyz runs them. */
  readiness?: Readiness
  /** Modules add their metrics; /metrics renders them. */
  metrics?: MetricsRegistry
  /** Route documents; /openapi.json renders them. */
  openapi?: OpenApiRegistry
  /** Files of the API viewer (swagger-ui-dist); /docs answers 503 without them. */
  assets?: AssetSource
  /** Outbound fetch (the Node entry may inject a faster one). */
  fetch?: typeof fetch
  version?: string
}
