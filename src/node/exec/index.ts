/**
 * @module The command execution module: checks its settings at start-up, mounts
 * `POST /exec/<command>` (or `/<command>` where exec serve puts it at the root) and kills every
 * running process group on shutdown.
 */
import type { Hono } from 'hono'
import type { Config } from '../../config/schema.ts'
import type { AppEnv, Capabilities } from '../../env.ts'
import type { TokenVerifier } from '../../identity/jwt-verifier.ts'
import type { Logger } from '../../ops/logger.ts'
import type { OpenApiRegistry } from '../../ops/openapi.ts'
import type { FlowgateModule } from '../module.ts'
import { chooseSpawnHelper } from '../process/helper-choice.ts'
import { ProcessRegistry } from '../process/registry.ts'
import { execRoutes } from './exec-routes.ts'
import { Limiter } from './limiter.ts'
import { OutputBudget } from './output-budget.ts'
import { rootWarnings } from './root-warnings.ts'
import { type ExecSettings, resolveExecSettings } from './settings.ts'

export type ExecModuleOptions = Readonly<Pick<Config, 'exec' | 'auth' | 'server'>>

/** What mounting exec takes from its module context. */
export interface ExecParts {
  router: Hono<AppEnv>
  /** `/exec` on the main listener, `` where exec serve puts it at the root. */
  prefix: string
  options: ExecModuleOptions
  logger: Logger
  openapi: OpenApiRegistry
  capabilities: Capabilities
  verifier: TokenVerifier | undefined
}

export interface MountExecOptions {
  /** flowgate's environment, read only for exec.env_passthrough names. */
  env?: Readonly<Record<string, string | undefined>>
  cwd?: string
  now?: () => number
}

export interface MountedExec {
  settings: ExecSettings
  /** exec.max_buffered_bytes in use (its `used` and `peak` show what buffered runs hold). */
  budget: OutputBudget
  stop: () => Promise<void>
}

/** Resolves the settings (throws ConfigError), mounts the routes, returns the stop function. */
export function mountExec(parts: ExecParts, options: MountExecOptions = {}): MountedExec {
  const settings = resolveExecSettings({
    config: parts.options,
    verifier: parts.verifier,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    host: parts.options.server.host,
  })
  const warnings = rootWarnings(settings, { writable: parts.options.exec.warn_writable })
  for (const warning of warnings) parts.logger.warn('exec root warning', { warning })
  if (settings.maxBufferedBytes < settings.maxOutputBytes) {
    parts.logger.warn(
      'exec.max_buffered_bytes is below exec.max_output_bytes: output is truncated at the budget first',
      {
        maxBufferedBytes: settings.maxBufferedBytes,
        maxOutputBytes: settings.maxOutputBytes,
      }
    )
  }
  const runs = new ProcessRegistry()
  const limiter = new Limiter(settings)
  const budget = new OutputBudget(settings.maxBufferedBytes)
  const choice = chooseSpawnHelper(parts.options.exec.spawn_helper, parts.capabilities.runtime)
  if (choice.warning) parts.logger.warn(choice.warning)
  const helper = choice.helper
  helper?.start()
  parts.router.route(
    '/',
    execRoutes({
      settings,
      limiter,
      budget,
      runs,
      openapi: parts.openapi,
      prefix: parts.prefix,
      // The native helper has backpressure end to end, so streams may go through it too; the Node
      // helper's IPC has none, so streams fork directly and the helper only watches them.
      ...(helper
        ? {
            spawner: helper.spawner,
            streamSpawner: choice.streamsThroughHelper ? helper.spawner : helper.watchedDirect,
          }
        : {}),
      ...(options.now ? { now: options.now } : {}),
    })
  )
  parts.logger.info('exec ready', {
    mode: settings.mode,
    root: settings.root || undefined,
    followLinks: settings.followLinks,
    auth: settings.authRequired ? 'required' : 'none',
    spawnHelper: choice.kind,
    streams: choice.helper ? (choice.streamsThroughHelper ? 'helper' : 'direct, watched') : 'direct',
    runAs: settings.runAs ? `${settings.runAs.uid}:${settings.runAs.gid}` : undefined,
    maxBufferedBytes: settings.maxBufferedBytes,
  })
  const stop = async () => {
    await runs.closeAll()
    await helper?.stop()
  }
  return { settings, budget, stop }
}

/**
 * The module; `mount` passes the environment, directory and clock, `onMounted` hands over what
 * was mounted (tests read its settings and budget).
 */
export function createExecModule(
  mount: MountExecOptions = {},
  onMounted?: (exec: MountedExec) => void
): FlowgateModule<ExecModuleOptions> {
  return {
    name: 'exec',
    prefix: '/exec',
    needs: ['childProcess', 'fs'],
    enabled: (config) => config.exec.enabled,
    options: (config) => ({ exec: config.exec, auth: config.auth, server: config.server }),
    register(ctx) {
      const exec = mountExec({ ...ctx, verifier: ctx.services.verifier }, mount)
      ctx.onStop(exec.stop)
      onMounted?.(exec)
    },
  }
}

export const execModule = createExecModule()
