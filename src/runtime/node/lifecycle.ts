/**
 * @module One lifecycle for every way flowgate starts on a Node-compatible runtime (`serve`,
 * `exec serve`, and the worker and plugin modes next): compose each listener's app from its
 * modules, listen, begin the modules' background work, then on SIGTERM/SIGINT drain every
 * listener within the grace, stop the modules and exit.
 */
import { createApp } from '../../app.ts'
import { type ComposedApp, composeApp, type MountSpec, sharedServices } from '../../compose.ts'
import type { Config } from '../../config/schema.ts'
import type { AppDeps } from '../../env.ts'
import type { Logger } from '../../ops/logger.ts'
import { createTaskProxyApp } from '../../task-proxy/index.ts'
import { detectCapabilities } from '../capabilities.ts'
import { swaggerUiAssets } from '../file-assets.ts'
import { registerProcessMetrics } from '../process-metrics.ts'
import { listenExec } from './exec-listener.ts'
import { createUndiciFetch } from './fetch.ts'
import { listen } from './listener.ts'
import { nodePassThrough } from './pass-through.ts'
import { webSocketUpgrades } from './websocket.ts'

export interface ListenerPlan {
  name: string
  host: string
  port: number
  /** `main`: the user-facing chain; `task-proxy`: the workers' listener and its module. */
  kind: 'main' | 'task-proxy'
  /** The modules its app mounts (the task proxy's listener mounts its own). */
  modules: readonly MountSpec[]
  /** Answer a client that half-closes after its request, as httpexec does (exec serve). */
  halfOpen?: boolean
  /** Under Bun, serve with Bun.serve rather than its node:http emulation (exec serve). */
  bunNative?: boolean
}

interface Served {
  url: string
  drain(): Promise<void>
  closeAll(): void
}

export interface Started {
  apps: Record<string, ComposedApp>
  /** `http://host:port` actually bound, by listener name. */
  urls: Record<string, string>
  /** Drains every listener within server.shutdown_grace_ms, then stops the modules. */
  close(): Promise<void>
}

async function serveOne(
  plan: ListenerPlan,
  app: ComposedApp,
  config: Readonly<Config>,
  logger: Logger,
  direct?: Parameters<typeof listen>[1]['direct']
): Promise<Served> {
  const settings = config.server
  if (plan.bunNative) {
    if (app.websockets.length > 0)
      logger.warn('WebSocket routes are not served by Bun.serve', { listener: plan.name })
    const served = await listenExec(app.app.fetch, { host: plan.host, port: plan.port, logger, settings })
    return { url: `http://${plan.host}:${served.port}`, drain: served.drain, closeAll: served.closeAll }
  }
  const listener = await listen(app.app.fetch, {
    host: plan.host,
    port: plan.port,
    logger,
    settings,
    halfOpen: plan.halfOpen ?? false,
    ...(direct ? { direct } : {}),
    // Its sockets close with 1001 when the listener drains, and are cut with it at the deadline.
    ...(app.websockets.length > 0 ? { websockets: webSocketUpgrades(app.app, app.websockets, logger) } : {}),
  })
  return { url: listener.url, drain: () => listener.drain(), closeAll: () => listener.closeAll() }
}

/**
 * Builds every listener's app, listens, and begins the modules' background work.
 * @example const started = await startFlowgate(config, logger, plans); closeOnSignals(started, logger)
 */
export async function startFlowgate(
  config: Readonly<Config>,
  logger: Logger,
  plans: readonly ListenerPlan[]
): Promise<Started> {
  const capabilities = detectCapabilities()
  const assets = swaggerUiAssets()
  // undici is the engine client on Node only: Bun answers `import 'undici'` with a stand-in of its
  // own (no request(), no destroy()), so Bun and Deno running this entry keep their own fetch.
  const forwarder = capabilities.runtime === 'node' ? createUndiciFetch() : undefined
  const deps: AppDeps = {
    config,
    logger,
    capabilities,
    ...(forwarder ? { fetch: forwarder.fetch } : {}),
    ...(assets ? { assets } : {}),
  }
  const services = sharedServices(deps)
  const apps: Record<string, ComposedApp> = {}
  const urls: Record<string, string> = {}
  const served: Served[] = []
  let stopping: Promise<void> | undefined
  const stopAll = () => {
    stopping ??= (async () => {
      for (const app of Object.values(apps)) await app.stop()
      forwarder?.close()
    })()
    return stopping
  }
  try {
    for (const plan of plans) {
      let app: ComposedApp
      let direct: Parameters<typeof listen>[1]['direct']
      if (plan.kind === 'task-proxy') {
        const proxy = createTaskProxyApp(deps, services)
        if (forwarder) direct = nodePassThrough(proxy.direct, proxy.logger, forwarder.agent)
        app = proxy
      } else {
        app = composeApp(createApp(deps), deps, plan.modules, services)
      }
      apps[plan.name] = app
      registerProcessMetrics(app.metrics)
      const listener = await serveOne(plan, app, config, logger, direct)
      served.push(listener)
      urls[plan.name] = listener.url
      logger.info(plan.kind === 'task-proxy' ? 'task proxy listening' : 'listening', {
        url: listener.url,
        runtime: capabilities.runtime,
        modules: app.mounted,
      })
    }
    for (const app of Object.values(apps)) await app.start()
  } catch (error) {
    for (const listener of served) listener.closeAll()
    await stopAll()
    throw error
  }

  let closing: Promise<void> | undefined
  const close = () => {
    closing ??= (async () => {
      const graceMs = config.server.shutdown_grace_ms
      let timer: ReturnType<typeof setTimeout> | undefined
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), graceMs)
      })
      const drained = Promise.all(served.map((listener) => listener.drain()))
      if ((await Promise.race([drained.then(() => 'drained' as const), deadline])) === 'timeout') {
        logger.warn('shutdown grace period over; closing open connections', { graceMs })
        // Stopping the modules ends what holds a request open (exec kills its runs' groups).
        const stopped = stopAll()
        for (const listener of served) listener.closeAll()
        await Promise.all([drained, stopped])
      }
      clearTimeout(timer)
      await stopAll()
    })()
    return closing
  }
  return { apps, urls, close }
}

/** Exits 0 after a graceful close on the first SIGTERM/SIGINT; a second signal exits at once. */
export function closeOnSignals(started: Pick<Started, 'close'>, logger: Logger): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn('second signal; exiting now', { signal })
      process.exit(1)
    }
    stopping = true
    logger.info('shutting down', { signal })
    started.close().then(
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
