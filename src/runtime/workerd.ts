/**
 * @module The Cloudflare Workers entry: the portable core, configured from the Worker's string
 * bindings (`[vars]` and secrets named FLOWGATE_* or the compatibility names). No filesystem, no
 * node-only modules. API viewer files come from the ASSETS binding when it is configured.
 */
import { createApp, type FlowgateApp } from '../app.ts'
import { resolveConfig } from '../config/resolve.ts'
import { ConfigError } from '../config/sources.ts'
import type { AssetSource } from '../env.ts'
import { AppError, problemResponse } from '../errors.ts'
import { createLogger } from '../lib/logger.ts'
import { detectCapabilities } from './capabilities.ts'

interface Fetcher {
  fetch(request: Request): Promise<Response>
}

type WorkerEnv = Record<string, unknown> & { ASSETS?: Fetcher }

let cache: { env: WorkerEnv; app: FlowgateApp } | { env: WorkerEnv; error: ConfigError } | undefined

function stringBindings(env: WorkerEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out[name] = value
  return out
}

function assetsFrom(env: WorkerEnv): AssetSource | undefined {
  const binding = env.ASSETS
  if (!binding) return undefined
  return async (name) => {
    const response = await binding.fetch(new Request(`https://assets.local/${encodeURIComponent(name)}`))
    return response.ok ? response : undefined
  }
}

/** The app for these bindings, built once per isolate (bindings do not change within one). */
function appFor(env: WorkerEnv): FlowgateApp | ConfigError {
  if (cache?.env === env) return 'app' in cache ? cache.app : cache.error
  try {
    const { config } = resolveConfig({ env: stringBindings(env) })
    const logger = createLogger({ level: config.log.level })
    const assets = assetsFrom(env)
    const app = createApp({
      config,
      logger,
      capabilities: detectCapabilities(),
      ...(assets ? { assets } : {}),
    })
    cache = { env, app }
    return app
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    console.error(`flowgate: ${error.message}`)
    cache = { env, error }
    return error
  }
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: unknown): Response | Promise<Response> {
    const built = appFor(env)
    if (built instanceof ConfigError) {
      return problemResponse(new AppError('FG_ERR_CONFIG_INVALID'), undefined)
    }
    return built.app.fetch(request, env, ctx as never)
  },
}
