/**
 * @module The native Deno entry: serves the portable core with Deno.serve (no node-only modules).
 * Run with `deno run --allow-net --allow-env --allow-read src/runtime/deno.ts`. Configuration comes
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
    loaded = loadConfig({ env: Deno.env.toObject() })
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`flowgate: ${error.message}`)
    Deno.exit(2)
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
  const server = Deno.serve(
    {
      hostname: config.server.host,
      port: config.server.port,
      onListen: ({ hostname, port }) =>
        logger.info('listening', { url: `http://${hostname}:${port}`, runtime: 'deno' }),
    },
    flowgate.app.fetch
  )
  const registry = config.task_proxy.enabled ? tenantRegistryFrom(config.task_proxy, logger) : undefined
  const proxy = registry
    ? Deno.serve(
        {
          hostname: config.task_proxy.host,
          port: config.task_proxy.port,
          onListen: ({ hostname, port }) =>
            logger.info('task proxy listening', { url: `http://${hostname}:${port}` }),
        },
        createTaskProxyApp({ config, logger, capabilities: detectCapabilities(), registry }).app.fetch
      )
    : undefined

  let stopping = false
  const onSignal = (signal: Deno.Signal) => {
    if (stopping) Deno.exit(1)
    stopping = true
    logger.info('shutting down', { signal })
    const deadline = new Promise((resolve) => setTimeout(resolve, config.server.shutdown_grace_ms))
    registry?.stop()
    Promise.race([Promise.all([server.shutdown(), proxy?.shutdown()]), deadline]).then(() => {
      logger.info('stopped')
      Deno.exit(0)
    })
  }
  Deno.addSignalListener('SIGTERM', () => onSignal('SIGTERM'))
  Deno.addSignalListener('SIGINT', () => onSignal('SIGINT'))
}

start()
