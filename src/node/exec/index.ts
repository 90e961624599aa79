/**
 * @module The command execution module: checks its settings at start-up, mounts
 * `POST /exec/<command>` (or `/<command>` for `flowgate exec serve`) and kills every running
 * process group on shutdown.
 */
import type { FlowgateApp } from '../../app.ts'
import type { AppDeps } from '../../env.ts'
import type { NodeModule, NodeModuleStop } from '../mount.ts'
import { chooseSpawnHelper } from '../process/helper-choice.ts'
import { ProcessRegistry as RunRegistry } from '../process/registry.ts'
import { execRoutes } from './exec-routes.ts'
import { Limiter } from './limiter.ts'
import { OutputBudget } from './output-budget.ts'
import { rootWarnings } from './root-warnings.ts'
import { type ExecSettings, resolveExecSettings } from './settings.ts'

export interface MountExecOptions {
  /** `/exec` (default) or `` for the standalone httpexec-compatible server. */
  prefix?: string
  /** Address of the listener (auth = "none" needs loopback); server.host by default. */
  host?: string
  /** flowgate's environment, read only for exec.env_passthrough names. */
  env?: Readonly<Record<string, string | undefined>>
  cwd?: string
  now?: () => number
}

export interface MountedExec {
  settings: ExecSettings
  /** exec.max_buffered_bytes in use (its `used` and `peak` show what buffered runs hold). */
  budget: OutputBudget
  stop: NodeModuleStop
}

/** Resolves the settings (throws ConfigError), mounts the routes, returns the stop function. */
export function mountExec(target: FlowgateApp, deps: AppDeps, options: MountExecOptions = {}): MountedExec {
  const settings = resolveExecSettings({
    config: deps.config,
    env: options.env ?? process.env,
    cwd: options.cwd ?? process.cwd(),
    host: options.host ?? deps.config.server.host,
  })
  for (const warning of rootWarnings(settings)) deps.logger.warn('exec root warning', { warning })
  if (settings.maxBufferedBytes < settings.maxOutputBytes) {
    deps.logger.warn(
      'exec.max_buffered_bytes is below exec.max_output_bytes: output is truncated at the budget first',
      {
        maxBufferedBytes: settings.maxBufferedBytes,
        maxOutputBytes: settings.maxOutputBytes,
      }
    )
  }
  const runs = new RunRegistry()
  const limiter = new Limiter(settings)
  const budget = new OutputBudget(settings.maxBufferedBytes)
  const choice = chooseSpawnHelper(deps.config.exec.spawn_helper, deps.capabilities.runtime)
  if (choice.warning) deps.logger.warn(choice.warning)
  const helper = choice.helper
  helper?.start()
  target.app.route(
    '/',
    execRoutes({
      settings,
      limiter,
      budget,
      runs,
      openapi: target.openapi,
      prefix: options.prefix ?? '/exec',
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
  deps.logger.info('exec ready', {
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

const execModule: NodeModule = {
  register: (target, deps) => mountExec(target, deps).stop,
}

export default execModule
