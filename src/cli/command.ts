/**
 * @module What every subcommand does first, written once: parse its flags (node:util parseArgs,
 * strict), answer `--help`, and resolve the configuration (defaults < file < environment < flags).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import type { ConfigFlag } from '../config/resolve.ts'
import { type LoadedConfig, loadConfig } from '../runtime/load-config.ts'
import { type CONFIG_OPTIONS, configFlags } from './config-flags.ts'

type Options = typeof CONFIG_OPTIONS & ParseArgsConfig['options']
type Values<O extends Options> = ReturnType<
  typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>
>['values']

interface SharedValues {
  config?: string | undefined
  host?: string | undefined
  port?: string | undefined
  'log-level'?: string | undefined
  set?: string[] | undefined
  help?: boolean | undefined
}

export interface CommandSpec<O extends Options> {
  options: O
  help: string
  /** Flags of the command's own options, after the shared ones (later ones win). */
  flags?: (values: Values<O>) => ConfigFlag[]
  /** The setting `--port` sets: server.port unless the command listens elsewhere. */
  port?: { section: string; key: string }
}

export type Parsed<O extends Options> = { values: Values<O>; loaded: LoadedConfig }

/** The command's values and configuration, or undefined once `--help` has been printed. */
export function parseCommand<O extends Options>(
  args: string[],
  spec: CommandSpec<O>,
  out: (text: string) => void
): Parsed<O> | undefined {
  const { values } = parseArgs({ args, options: spec.options, strict: true, allowPositionals: false })
  // The shared options are in every command's set (Options), so these are always their types.
  const shared = values as SharedValues
  if (shared.help) {
    out(spec.help)
    return undefined
  }
  const { port, ...others } = shared
  const flags = configFlags(spec.port ? others : shared)
  if (spec.port && port !== undefined) flags.push({ name: '--port', ...spec.port, value: port })
  flags.push(...(spec.flags?.(values) ?? []))
  const configPath = shared.config
  const loaded = loadConfig({ ...(configPath !== undefined ? { configPath } : {}), flags })
  return { values, loaded }
}
