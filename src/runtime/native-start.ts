/**
 * @module What the native Bun and Deno entries share: configuration (exit 2 on a bad setting),
 * the user-facing app and, when enabled, the task proxy app with its tenant registry.
 */
import type { ComposedApp } from '../compose.ts'
import { sharedServices } from '../compose.ts'
import type { Config } from '../config/schema.ts'
import { ConfigError } from '../config/sources.ts'
import { createLogger, type Logger } from '../ops/logger.ts'
import { createMainApp } from '../portable.ts'
import { createTaskProxyApp, type TaskProxyApp } from '../task-proxy/index.ts'
import { detectCapabilities } from './capabilities.ts'
import { swaggerUiAssets } from './file-assets.ts'
import { loadConfig } from './load-config.ts'
import type { NativeDrain } from './native-drain.ts'
import { registerProcessMetrics } from './process-metrics.ts'

export interface NativeApps {
  config: Readonly<Config>
  logger: Logger
  flowgate: ComposedApp
  /** Present when task_proxy.enabled; its stop() ends the tenant list's reloads. */
  proxy?: TaskProxyApp
}

/** Builds the apps, or prints the configuration problems and exits 2. */
export function nativeApps(
  env: Readonly<Record<string, string | undefined>>,
  exit: (code: number) => never
): NativeApps {
  let config: Readonly<Config>
  try {
    config = loadConfig({ env }).config
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`flowgate: ${error.message}`)
    return exit(2)
  }
  const logger = createLogger({ level: config.log.level })
  const assets = swaggerUiAssets()
  const capabilities = detectCapabilities()
  const deps = { config, logger, capabilities, ...(assets ? { assets } : {}) }
  const services = sharedServices(deps)
  const flowgate = createMainApp(deps, [], services)
  registerProcessMetrics(flowgate.metrics)
  if (!config.task_proxy.enabled) return { config, logger, flowgate }
  return { config, logger, flowgate, proxy: createTaskProxyApp(deps, services) }
}

/** One listener of a native entry, as its runtime stops it. */
export interface NativeListener {
  /** Stops accepting and waits for the requests in flight (Bun's stop(false), Deno's shutdown()). */
  stop(): Promise<unknown>
  /** Closes what is left once the grace is over (Bun's stop(true)); Deno's process exit does it. */
  cut?(): void
}

export interface NativeShutdown {
  logger: Logger
  graceMs: number
  drain: NativeDrain
  listeners: NativeListener[]
  /** The composed apps, whose modules stop after the listeners (reloads, engine clients). */
  apps: Array<{ stop(): Promise<void> }>
  /** Called once the listeners are done, before the modules stop (an entry's own clients). */
  after?: () => void
  /** Registers a signal handler the runtime's way. */
  onSignal(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void
  exit(code: number): never
}

/**
 * The Bun and Deno entries' shutdown, the sequence of the Node lifecycle: on the first SIGTERM or
 * SIGINT, answers say `Connection: close`, the listeners stop within server.shutdown_grace_ms, then
 * the modules stop and the process exits 0; a second signal exits 1 at once.
 */
export function closeNativeOnSignals(shutdown: NativeShutdown): void {
  let stopping = false
  const onSignal = (signal: string) => {
    if (stopping) shutdown.exit(1)
    stopping = true
    shutdown.logger.info('shutting down', { signal })
    const deadline = new Promise((resolve) => setTimeout(resolve, shutdown.graceMs))
    const stopped = shutdown.drain
      .begin()
      .then(() => Promise.all(shutdown.listeners.map((listener) => listener.stop())))
    void Promise.race([stopped, deadline])
      .then(async () => {
        for (const listener of shutdown.listeners) listener.cut?.()
        shutdown.after?.()
        for (const app of shutdown.apps) await app.stop()
      })
      .then(() => {
        shutdown.logger.info('stopped')
        shutdown.exit(0)
      })
  }
  shutdown.onSignal('SIGTERM', () => onSignal('SIGTERM'))
  shutdown.onSignal('SIGINT', () => onSignal('SIGINT'))
}
