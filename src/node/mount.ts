/**
 * @module The registry of node-only modules: one line each. An entry is loaded by dynamic import
 * only when its settings switch it on and the runtime has the capabilities it declares.
 */
import type { Config } from '../config/schema.ts'
import type { Capabilities } from '../env.ts'
import type { FlowgateModule } from '../module.ts'
import type { Logger } from '../ops/logger.ts'
import type { NodeModuleEntry } from './module.ts'

/** The node-only modules flowgate ships; each capability adds its line here. */
export const NODE_MODULES: readonly NodeModuleEntry[] = [
  {
    name: 'exec',
    needs: ['childProcess', 'fs'],
    enabled: (config) => config.exec.enabled,
    load: async () => (await import('./exec/index.ts')).execModule,
  },
]

export interface LoadedModules {
  modules: FlowgateModule<unknown>[]
  skipped: Array<{ name: string; reason: string }>
}

/**
 * Loads every enabled entry whose capabilities are present; logs the others.
 * @example const { modules } = await loadNodeModules(config, capabilities, logger)
 */
export async function loadNodeModules(
  config: Readonly<Config>,
  capabilities: Capabilities,
  logger: Logger,
  entries: readonly NodeModuleEntry[] = NODE_MODULES
): Promise<LoadedModules> {
  const loaded: LoadedModules = { modules: [], skipped: [] }
  for (const entry of entries) {
    if (!entry.enabled(config)) {
      loaded.skipped.push({ name: entry.name, reason: 'disabled by configuration' })
      continue
    }
    const missing = entry.needs.filter((capability) => !capabilities[capability])
    if (missing.length > 0) {
      const reason = `runtime ${capabilities.runtime} lacks ${missing.join(', ')}`
      logger.warn('module not mounted', { module: entry.name, reason })
      loaded.skipped.push({ name: entry.name, reason })
      continue
    }
    loaded.modules.push(await entry.load())
  }
  return loaded
}
