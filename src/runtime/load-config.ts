/** @module Reads the configuration file and environment of a Node-compatible process (Node, Bun, Deno). */
import { readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { CONFIG_FILE_ENV } from '../config/env-map.ts'
import { type ConfigFlag, type ResolvedConfig, resolveConfig } from '../config/resolve.ts'
import { ConfigError } from '../config/sources.ts'

export interface LoadConfigOptions {
  /** `--config`; wins over FLOWGATE_CONFIG and ./flowgate.toml. */
  configPath?: string
  flags?: readonly ConfigFlag[]
  env?: Readonly<Record<string, string | undefined>>
  cwd?: string
}

export interface LoadedConfig extends ResolvedConfig {
  /** The file read, if any. */
  file?: string
}

/** Resolves the configuration; throws ConfigError (never a crash trace) for any bad input. */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? process.env
  const cwd = options.cwd ?? process.cwd()
  const named = options.configPath ?? (env[CONFIG_FILE_ENV] || undefined)
  const source = options.configPath ? 'flag --config' : `env ${CONFIG_FILE_ENV}`
  let path: string | undefined
  if (named !== undefined) path = resolve(cwd, named)
  else if (isFile(resolve(cwd, 'flowgate.toml'))) path = resolve(cwd, 'flowgate.toml')

  let text: string | undefined
  if (path !== undefined) {
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'
      throw new ConfigError([{ source, message: `configuration file ${path}: ${reason}` }])
    }
  }
  const resolved = resolveConfig({
    env,
    ...(path !== undefined && text !== undefined ? { file: { path, text } } : {}),
    ...(options.flags ? { flags: options.flags } : {}),
  })
  return path === undefined ? resolved : { ...resolved, file: path }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile()
  } catch {
    return false
  }
}
