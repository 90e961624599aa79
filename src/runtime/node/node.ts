/**
 * @module The Node-compatible entry (Node, and Bun or Deno through their Node APIs): `flowgate
 * serve` (the gateway and every enabled node-only module on the user-facing listener, the task
 * proxy on its own) and `flowgate exec serve` (exec alone at the root), both on one lifecycle.
 */
import type { ComposedApp } from '../../compose.ts'
import type { Config } from '../../config/schema.ts'
import { loadNodeModules, NODE_MODULES } from '../../node/mount.ts'
import { createLogger, type Logger } from '../../ops/logger.ts'
import { PORTABLE_MODULES } from '../../portable.ts'
import { detectCapabilities } from '../capabilities.ts'
import { type ListenerPlan, type Started, startFlowgate } from './lifecycle.ts'

export { closeOnSignals } from './lifecycle.ts'

export interface NodeServer {
  flowgate: ComposedApp
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
 * `flowgate serve`: builds and serves the apps; resolves once listening.
 * @example const server = await serveNode({ config }); await server.close()
 */
export async function serveNode(options: ServeNodeOptions): Promise<NodeServer> {
  const { config } = options
  const logger = options.logger ?? createLogger({ level: config.log.level })
  const { modules } = await loadNodeModules(config, detectCapabilities(), logger)
  const plans: ListenerPlan[] = [
    {
      name: 'main',
      kind: 'main',
      host: config.server.host,
      port: config.server.port,
      modules: [...PORTABLE_MODULES, ...modules],
    },
  ]
  if (config.task_proxy.enabled) {
    plans.push({
      name: 'task-proxy',
      kind: 'task-proxy',
      host: config.task_proxy.host,
      port: config.task_proxy.port,
      modules: [],
    })
  }
  const started = await startFlowgate(config, logger, plans)
  const main = started.apps.main as ComposedApp
  return {
    flowgate: main,
    url: started.urls.main as string,
    ...(started.urls['task-proxy'] ? { taskProxyUrl: started.urls['task-proxy'] } : {}),
    close: started.close,
  }
}

/**
 * `flowgate exec serve`: the httpexec API alone, exec at the root of exec.serve_port — without the
 * gateway, whose paths would shadow commands named like them — whatever exec.enabled says.
 */
export async function serveExec(config: Readonly<Config>, logger: Logger): Promise<Started> {
  const entry = NODE_MODULES.find((candidate) => candidate.name === 'exec')
  if (!entry) throw new Error('the exec module is not in the registry')
  const exec = await entry.load()
  return startFlowgate(config, logger, [
    {
      name: 'exec',
      kind: 'main',
      host: config.server.host,
      port: config.exec.serve_port,
      modules: [{ module: { ...exec, enabled: () => true }, prefix: '' }],
      // httpexec (under hypercorn) answers a client that half-closes after its request.
      halfOpen: true,
      bunNative: true,
    },
  ])
}
