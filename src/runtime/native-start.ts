/**
 * @module What the native Bun and Deno entries share: configuration (exit 2 on a bad setting),
 * the user-facing app and, when enabled, the task proxy app with its tenant registry.
 */
import { createApp, createTaskProxyApp, type FlowgateApp, type TaskProxyApp } from '../app.ts'
import type { Config } from '../config/schema.ts'
import { ConfigError } from '../config/sources.ts'
import { createLogger, type Logger } from '../ops/logger.ts'
import { type TenantRegistry, tenantRegistryFrom } from '../task-proxy/tenant-registry.ts'
import { detectCapabilities } from './capabilities.ts'
import { swaggerUiAssets } from './file-assets.ts'
import { loadConfig } from './load-config.ts'
import { registerProcessMetrics } from './process-metrics.ts'

export interface NativeApps {
  config: Readonly<Config>
  logger: Logger
  flowgate: FlowgateApp
  /** Present when task_proxy.enabled. */
  proxy?: { app: TaskProxyApp; registry: TenantRegistry }
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
  const flowgate = createApp({ config, logger, capabilities, ...(assets ? { assets } : {}) })
  registerProcessMetrics(flowgate.metrics)
  if (!config.task_proxy.enabled) return { config, logger, flowgate }
  const registry = tenantRegistryFrom(config.task_proxy, logger)
  return {
    config,
    logger,
    flowgate,
    proxy: { app: createTaskProxyApp({ config, logger, capabilities, registry }), registry },
  }
}
