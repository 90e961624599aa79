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
