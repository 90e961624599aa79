/**
 * @module The Node-compatible entry (Node, and Bun or Deno through their Node APIs): serves the app
 * with @hono/node-server, mounts node-only modules, shuts down gracefully on SIGTERM/SIGINT.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { createApp, type FlowgateApp } from '../app.ts'
import type { Config } from '../config/schema.ts'
import type { AppDeps } from '../env.ts'
import { createLogger, type Logger } from '../lib/logger.ts'
import { detectCapabilities } from './capabilities.ts'
import { swaggerUiAssets } from './file-assets.ts'
import { registerProcessMetrics } from './process-metrics.ts'

export interface NodeServer {
  flowgate: FlowgateApp
  /** `http://host:port` actually bound (port 0 resolves to the chosen one). */
  url: string
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
  const deps: AppDeps = { config, logger, capabilities, ...(assets ? { assets } : {}) }
  const flowgate = createApp(deps)
  registerProcessMetrics(flowgate.metrics)
  const { mountNodeModules } = await import('../node/mount.ts')
  const mounted = await mountNodeModules(flowgate, deps)

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const created = serve(
      { fetch: flowgate.app.fetch, hostname: config.server.host, port: config.server.port },
      () => resolve(created)
    )
    created.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  const url = `http://${host}:${address.port}`
  logger.info('listening', { url, runtime: capabilities.runtime, modules: mounted.mounted })

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      const graceMs = config.server.shutdown_grace_ms
      const done = new Promise<void>((resolve) => server.close(() => resolve()))
      // Keep-alive sockets would hold close() open until their timeout: close each one as soon
      // as its in-flight request is answered.
      const closeIdle = () => {
        if ('closeIdleConnections' in server) server.closeIdleConnections()
      }
      closeIdle()
      const sweeper = setInterval(closeIdle, 50)
      let timer: ReturnType<typeof setTimeout> | undefined
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs)
      })
      const outcome = await Promise.race([done.then(() => 'closed' as const), deadline])
      clearTimeout(timer)
      clearInterval(sweeper)
      if (outcome === 'timeout' && 'closeAllConnections' in server) {
        logger.warn('shutdown grace period over; closing open connections', { graceMs })
        server.closeAllConnections()
      }
      await Promise.allSettled(mounted.stops.map((stop) => stop()))
    })()
    return closing
  }
  return { flowgate, url, close }
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
