/**
 * @module The native Bun entry: serves the portable core with Bun.serve (no node-only modules).
 * Run with `bun src/runtime/bun.ts`, or compile with `bun build --compile`. Configuration comes
 * from FLOWGATE_CONFIG or ./flowgate.toml and the environment.
 */
import { createApp, createTaskProxyApp } from '../app.ts'
import { ConfigError } from '../config/sources.ts'
import { createLogger } from '../lib/logger.ts'
import { tenantRegistryFrom } from '../lib/tenant-registry.ts'
import { detectCapabilities } from './capabilities.ts'
import { swaggerUiAssets } from './file-assets.ts'
import { loadConfig } from './load-config.ts'
import { registerProcessMetrics } from './process-metrics.ts'

function start(): void {
  let loaded: ReturnType<typeof loadConfig>
  try {
    loaded = loadConfig()
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`flowgate: ${error.message}`)
    process.exit(2)
  }
  const { config } = loaded
  const logger = createLogger({ level: config.log.level })
  const assets = swaggerUiAssets()
  const flowgate = createApp({
    config,
    logger,
    capabilities: detectCapabilities(),
    ...(assets ? { assets } : {}),
  })
  registerProcessMetrics(flowgate.metrics)
  const server = Bun.serve({
    hostname: config.server.host,
    port: config.server.port,
    fetch: flowgate.app.fetch,
    maxRequestBodySize: config.server.body_limit + 1,
  })
  logger.info('listening', { url: `http://${server.hostname}:${server.port}`, runtime: 'bun' })
  const registry = config.task_proxy.enabled ? tenantRegistryFrom(config.task_proxy, logger) : undefined
  const proxy = registry
    ? Bun.serve({
        hostname: config.task_proxy.host,
        port: config.task_proxy.port,
        fetch: createTaskProxyApp({ config, logger, capabilities: detectCapabilities(), registry }).app.fetch,
        maxRequestBodySize: config.server.body_limit + 1,
      })
    : undefined
  if (proxy) logger.info('task proxy listening', { url: `http://${proxy.hostname}:${proxy.port}` })

  let stopping = false
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info('shutting down', { signal })
    const deadline = new Promise((resolve) => setTimeout(resolve, config.server.shutdown_grace_ms))
    registry?.stop()
    Promise.race([Promise.all([server.stop(false), proxy?.stop(false)]), deadline]).then(() => {
      server.stop(true)
      proxy?.stop(true)
      logger.info('stopped')
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
}

start()
