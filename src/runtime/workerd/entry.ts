/**
 * @module What both Cloudflare Workers entries share: configuration from the Worker's string
 * bindings (`[vars]` and secrets, FLOWGATE_* or the compatibility names), the app built once per
 * isolate, and a problem answer when the bindings hold a bad setting.
 */
import type { FlowgateApp } from '../../app.ts'
import { resolveConfig } from '../../config/resolve.ts'
import type { Config } from '../../config/schema.ts'
import { ConfigError } from '../../config/sources.ts'
import { AppError, problemResponse } from '../../errors.ts'
import { createLogger, type Logger } from '../../ops/logger.ts'

interface Fetcher {
  fetch(request: Request): Promise<Response>
}

export type WorkerEnv = Record<string, unknown> & { ASSETS?: Fetcher }

export type BuildApp = (config: Readonly<Config>, logger: Logger, env: WorkerEnv) => FlowgateApp

export interface WorkerHandler {
  fetch(request: Request, env: WorkerEnv, ctx: unknown): Response | Promise<Response>
}

function stringBindings(env: WorkerEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') out[name] = value
  return out
}

/** A Worker's default export serving the app `build` makes from the bindings. */
export function workerEntry(build: BuildApp): WorkerHandler {
  let cache: { env: WorkerEnv; built: FlowgateApp | ConfigError } | undefined
  const appFor = (env: WorkerEnv): FlowgateApp | ConfigError => {
    // Bindings do not change within an isolate: build once.
    if (cache?.env === env) return cache.built
    let built: FlowgateApp | ConfigError
    try {
      const { config } = resolveConfig({ env: stringBindings(env) })
      built = build(config, createLogger({ level: config.log.level }), env)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      console.error(`flowgate: ${error.message}`)
      built = error
    }
    cache = { env, built }
    return built
  }
  return {
    fetch(request, env, ctx) {
      const built = appFor(env)
      if (built instanceof ConfigError)
        return problemResponse(new AppError('FG_ERR_CONFIG_INVALID'), undefined)
      return built.app.fetch(request, env, ctx as never)
    },
  }
}
