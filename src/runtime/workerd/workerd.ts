/**
 * @module The Cloudflare Workers entry: the portable core (gateway, health, metrics, docs),
 * configured from the Worker's bindings. No filesystem, no node-only modules. API viewer files
 * come from the ASSETS binding when it is configured. The task proxy is its own Worker
 * (src/runtime/workerd/task-proxy.ts, wrangler.task-proxy.toml).
 */
import type { AssetSource } from '../../env.ts'
import { createMainApp } from '../../portable.ts'
import { detectCapabilities } from '../capabilities.ts'
import { type WorkerEnv, workerEntry } from './entry.ts'

function assetsFrom(env: WorkerEnv): AssetSource | undefined {
  const binding = env.ASSETS
  if (!binding) return undefined
  return async (name) => {
    const response = await binding.fetch(new Request(`https://assets.local/${encodeURIComponent(name)}`))
    return response.ok ? response : undefined
  }
}

export default workerEntry((config, logger, env) => {
  const assets = assetsFrom(env)
  return createMainApp({ config, logger, capabilities: detectCapabilities(), ...(assets ? { assets } : {}) })
})
