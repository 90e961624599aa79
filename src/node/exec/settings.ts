/**
 * @module Turns the `[exec]` settings (plus an httpexec file) into checked, ready-to-use values at
 * start-up: the real root, compiled allow-list, base environment, credentials. Anything wrong
 * stops start-up with a ConfigError instead of failing requests later (httpexec's lazy config).
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { Config } from '../../config/schema.ts'
import { ConfigError } from '../../config/sources.ts'
import type { TokenVerifier } from '../../identity/jwt-verifier.ts'
import { cleanEnv } from '../process/clean-env.ts'
import { type RunAs, resolveRunAs } from '../process/run-as.ts'
import { type HmacCredential, parseHmacKeys, parseTokens, type TokenCredential } from './credentials.ts'
import { readHttpexecFile } from './httpexec-file.ts'

export interface AllowedCommand {
  path: string
  args: readonly string[]
  argPattern?: RegExp
  allowOptions: boolean
  maxArgs?: number
}

export interface ExecSettings {
  mode: 'directory' | 'allowlist'
  /** Real path of the root (directory mode). */
  root: string
  /**
   * The root directory's device and inode at start-up (`dev:ino`; empty in allow-list mode): while
   * the root path still leads to it, a name with no link below it needs no realpath.
   */
  rootId: string
  followLinks: boolean
  commands: ReadonlyMap<string, AllowedCommand>
  workdir: string
  baseEnv: Readonly<Record<string, string>>
  timeoutMs: number
  killGraceMs: number
  maxOutputBytes: number
  /** exec.max_buffered_bytes: the OutputBudget of all buffered runs together. */
  maxBufferedBytes: number
  maxStdinBytes: number
  maxArgs: number
  maxEnvVars: number
  maxArgvBytes: number
  maxConcurrent: number
  maxConcurrentPerCommand: number
  authRequired: boolean
  tokens: readonly TokenCredential[]
  hmacKeys: readonly HmacCredential[]
  hmacWindowS: number
  /** exec.run_as resolved to ids; undefined = flowgate's own user. */
  runAs?: RunAs
  /** Verifies the gateway's JWTs when exec.jwt_scope_claim is set. */
  jwt?: { verify: TokenVerifier; scopeClaim: string }
}

export interface ExecSettingsInput {
  config: Readonly<Pick<Config, 'exec' | 'auth'>>
  /** The app's token verifier of [auth] (shared services), for exec.jwt_scope_claim. */
  verifier?: TokenVerifier | undefined
  /** flowgate's environment: read only for `env_passthrough` names. */
  env: Readonly<Record<string, string | undefined>>
  cwd: string
  /** Address the serving listener binds to (auth = "none" needs loopback). */
  host: string
}

const fail = (source: string, message: string): never => {
  throw new ConfigError([{ source, message }])
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function resolveExecSettings(input: ExecSettingsInput): ExecSettings {
  const exec = input.config.exec
  const file = exec.config_path ? readHttpexecFile(resolve(input.cwd, exec.config_path)) : {}
  const rootSetting = exec.root ?? file.root
  const commands = new Map<string, AllowedCommand>()
  for (const [name, entry] of Object.entries(exec.commands ?? {})) {
    const source = `exec.commands.${name}`
    if (!isExecutableFile(entry.path)) fail(source, `${entry.path} is not an executable regular file`)
    let argPattern: RegExp | undefined
    if (entry.arg_pattern !== undefined) {
      try {
        argPattern = new RegExp(`^(?:${entry.arg_pattern})$`, 'u')
      } catch {
        fail(source, 'arg_pattern is not a valid regular expression')
      }
    }
    commands.set(name, {
      path: entry.path,
      args: entry.args,
      allowOptions: entry.allow_options,
      ...(argPattern ? { argPattern } : {}),
      ...(entry.max_args !== undefined ? { maxArgs: entry.max_args } : {}),
    })
  }
  if (rootSetting !== undefined && commands.size > 0) {
    fail(
      'exec.commands',
      'set either exec.root (directory mode) or exec.commands (allow-list mode), not both'
    )
  }
  if (rootSetting === undefined && commands.size === 0) {
    fail('exec.root', 'set exec.root (HTTPEXEC_EXEC_ROOT) or exec.commands to enable command execution')
  }
  let root = ''
  let rootId = ''
  if (rootSetting !== undefined) {
    try {
      root = realpathSync(resolve(input.cwd, rootSetting))
    } catch {
      fail('exec.root', `${rootSetting} does not exist`)
    }
    const stats = statSync(root)
    if (!stats.isDirectory()) fail('exec.root', `${rootSetting} is not a directory`)
    rootId = fileId(stats)
  }
  const workdir = resolve(input.cwd, exec.workdir ?? '.')
  if (!isDirectory(workdir)) fail('exec.workdir', `${workdir} is not a directory`)
  const authRequired = exec.auth === 'required'
  if (!authRequired && !isLoopback(input.host)) {
    fail('exec.auth', `"none" is only allowed on a loopback listener, not ${input.host}`)
  }
  return {
    mode: commands.size > 0 ? 'allowlist' : 'directory',
    root,
    rootId,
    followLinks: exec.follow_links ?? file.followLinks ?? false,
    commands,
    workdir,
    baseEnv: Object.freeze(
      cleanEnv({
        path: exec.path,
        lang: exec.lang,
        passthrough: exec.env_passthrough,
        source: input.env,
      })
    ),
    timeoutMs: exec.timeout_ms,
    killGraceMs: exec.kill_grace_ms,
    maxOutputBytes: exec.max_output_bytes,
    maxBufferedBytes: exec.max_buffered_bytes,
    maxStdinBytes: exec.max_stdin_bytes,
    maxArgs: exec.max_args,
    maxEnvVars: exec.max_env_vars,
    maxArgvBytes: exec.max_argv_bytes,
    maxConcurrent: exec.max_concurrent,
    maxConcurrentPerCommand: exec.max_concurrent_per_command,
    authRequired,
    tokens: parseTokens(exec.tokens),
    hmacKeys: parseHmacKeys(exec.hmac_keys),
    hmacWindowS: exec.hmac_window_s,
    ...(exec.run_as !== undefined ? { runAs: resolveRunAs(exec.run_as) } : {}),
    ...jwtSettings(input),
  }
}

function jwtSettings(input: ExecSettingsInput): Pick<ExecSettings, 'jwt'> {
  const scopeClaim = input.config.exec.jwt_scope_claim
  if (scopeClaim === undefined) return {}
  const verify = input.verifier ?? fail('exec.jwt_scope_claim', 'needs auth.jwks_url and auth.issuer')
  return { jwt: { verify, scopeClaim } }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!isAbsolute(path) || !statSync(path).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** A file's identity (`dev:ino`), as the root's is kept in ExecSettings.rootId. */
export function fileId(stats: { dev: number; ino: number }): string {
  return `${stats.dev}:${stats.ino}`
}
