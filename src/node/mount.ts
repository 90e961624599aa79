/**
 * @module Mounts node-only modules (exec, script worker, plugins, editor) on the app, each only when
 * the runtime has the capabilities it declares and its settings switch it on.
 */
import type { FlowgateApp } from '../app.ts'
import type { Config } from '../config/schema.ts'
import type { AppDeps, Capabilities } from '../env.ts'

/** What every node-only module exports. */
export interface NodeModule {
  /** Adds routes, readiness checks and metrics; returns a stop function for shutdown, if any. */
  register(
    target: FlowgateApp,
    deps: AppDeps
  ): Promise<NodeModuleStop | undefined> | NodeModuleStop | undefined
}

export type NodeModuleStop = () => Promise<void>

export type Capability = Exclude<keyof Capabilities, 'runtime'>

/** A registry entry: loaded by dynamic import only when needed and possible. */
export interface NodeModuleEntry {
  name: string
  needs: readonly Capability[]
  enabled(config: Readonly<Config>): boolean
  load(): Promise<NodeModule>
}

/** The modules flowgate ships; each capability issue adds its entry here. */
export const NODE_MODULES: readonly NodeModuleEntry[] = [
  {
    name: 'exec',
    needs: ['childProcess', 'fs'],
    enabled: (config) => config.exec.enabled,
    load: async () => (await import('./exec/index.ts')).default,
  },
]

export interface MountReport {
  mounted: string[]
  skipped: Array<{ name: string; reason: string }>
  stops: NodeModuleStop[]
}

/**
 * Mounts every enabled entry whose capabilities are present; logs the others.
 * @example await mountNodeModules(flowgate, deps) // in src/runtime/node/node.ts
 */
export async function mountNodeModules(
  target: FlowgateApp,
  deps: AppDeps,
  entries: readonly NodeModuleEntry[] = NODE_MODULES
): Promise<MountReport> {
  const report: MountReport = { mounted: [], skipped: [], stops: [] }
  for (const entry of entries) {
    if (!entry.enabled(deps.config)) {
      report.skipped.push({ name: entry.name, reason: 'disabled by configuration' })
      continue
    }
    const missing = entry.needs.filter((capability) => !deps.capabilities[capability])
    if (missing.length > 0) {
      const reason = `runtime ${deps.capabilities.runtime} lacks ${missing.join(', ')}`
      deps.logger.warn('module not mounted', { module: entry.name, reason })
      report.skipped.push({ name: entry.name, reason })
      continue
    }
    const module = await entry.load()
    const stop = await module.register(target, deps)
    if (stop) report.stops.push(stop)
    report.mounted.push(entry.name)
    deps.logger.info('module mounted', { module: entry.name })
  }
  return report
}
