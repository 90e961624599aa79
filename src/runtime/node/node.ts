/**
 * @module The Node-compatible entry (Node, and Bun or Deno through their Node APIs): serves the app
 * with @hono/node-server, mounts node-only modules, shuts down gracefully on SIGTERM/SIGINT.
 */
import { createApp, createTaskProxyApp, type FlowgateApp } from '../../app.ts'
import type { Config } from '../../config/schema.ts'
import type { AppDeps } from '../../env.ts'
import { createLogger, type Logger } from '../../ops/logger.ts'
import { tenantRegistryFrom } from '../../task-proxy/tenant-registry.ts'
import { detectCapabilities } from '../capabilities.ts'
import { swaggerUiAssets } from '../file-assets.ts'
import { registerProcessMetrics } from '../process-metrics.ts'
import { createUndiciFetch } from './fetch.ts'
import { type Listener, listen } from './listener.ts'
import { nodePassThrough } from './pass-through.ts'

export interface NodeServer {
  flowgate: FlowgateApp
  /** `http://host:port` actually bound (port 0 resolves to the chosen one). */
  url: string
  /** The task proxy listener, when task_proxy.enabled. */
  taskProxyUrl?: string
  /** Stops accepting, lets in-flight requests finish up to the grace period, stops modules. */
  close(): Promise<void>
}

export interface ServeNodeOptions {
  config: Readonly<Config>
  logger?: Logger
}

/**
 * Builds and serves the app; resolves once listening.
 * @example const server = await serveNode({ config }); await server.close()
 */
export async function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const { config } = options
  const logger = options.logger ?? createLogger({ level: config.log.level })
  const capabilities = detectCapabilities()
  const assets = swaggerUiAssets()
  const forwarder = createUndiciFetch()
  const deps: AppDeps = {
    config,
    logger,
    capabilities,
    fetch: forwarder.fetch,
    ...(assets ? { assets } : {}),
  }
  const flowgate = createApp(deps)
  registerProcessMetrics(flowgate.metrics)
  const { mountNodeModules } = await import('../../node/mount.ts')
  const mounted = await mountNodeModules(flowgate, deps)

  const settings = config.server
  const main = await listen(flowgate.app.fetch, {
    host: config.server.host,
    port: config.server.port,
    logger,
    settings,
  })
  logger.info('listening', { url: main.url, runtime: capabilities.runtime, modules: mounted.mounted })

  let proxy: { listener: Listener; stop: () => void } | undefined
  if (config.task_proxy.enabled) {
    const registry = tenantRegistryFrom(config.task_proxy, logger)
    const proxyApp = createTaskProxyApp({ ...deps, registry })
    registerProcessMetrics(proxyApp.metrics)
    try {
      const listener = await listen(proxyApp.app.fetch, {
        host: config.task_proxy.host,
        port: config.task_proxy.port,
        logger,
        settings,
        direct: nodePassThrough(proxyApp.direct, proxyApp.logger, forwarder.agent),
      })
      proxy = { listener, stop: () => registry.stop() }
      logger.info('task proxy listening', { url: listener.url })
    } catch (error) {
      registry.stop()
      await main.close(0)
      forwarder.close()
      throw error
    }
  }

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      const graceMs = config.server.shutdown_grace_ms
      proxy?.stop()
      await Promise.all([main.close(graceMs), proxy?.listener.close(graceMs)])
      await Promise.allSettled(mounted.stops.map((stop) => stop()))
      forwarder.close()
    })()
    return closing
  }
  return { flowgate, url: main.url, ...(proxy ? { taskProxyUrl: proxy.listener.url } : {}), close }
}

/** Exits 0 after a graceful close on the first SIGTERM/SIGINT; a second signal exits at once. */
export function closeOnSignals(server: NodeServer, logger: Logger): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal; exiting now', { signal })
      process.exit(1)
    }
    stopping = true
    logger.info('shutting down', { signal })
    server.close().then(
      () => {
        logger.info('stopped')
        process.exit(0)
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error })
        process.exit(1)
      }
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
}
