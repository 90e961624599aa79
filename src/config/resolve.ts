/**
 * @module Resolves the configuration once: defaults < TOML file < environment < CLI flags,
 * validated by one schema, frozen. Pure: the caller reads the file and the environment.
 */
import { parse as parseToml, TomlError } from 'smol-toml'
import type { z } from 'zod'
import { coerceString, leafKind } from './coerce.ts'
import { COMPAT_ENV, CONFIG_FILE_ENV, flowgateEnvName } from './env-map.ts'
import { redactUrl } from './redact.ts'
import { type Config, configSchema, SECTIONS, settingMeta, settingSchema } from './schema.ts'
import { ConfigError, type ConfigIssue, describeSource, type SettingSource } from './sources.ts'
import { locateTomlKey } from './toml-locate.ts'

export interface ConfigFlag {
  /** As typed, for messages: `--port`, `--set server.port`. */
  name: string
  section: string
  key: string
  value: string
}

export interface ConfigInput {
  file?: { path: string; text: string }
  env?: Readonly<Record<string, string | undefined>>
  flags?: readonly ConfigFlag[]
}

export interface ResolvedConfig {
  config: Readonly<Config>
  /** `section.key` → where its value came from (absent = default). */
  sources: ReadonlyMap<string, SettingSource>
}

type RawConfig = Record<string, Record<string, unknown>>

export { settingSchema }

function isSecret(section: string, key: string): boolean {
  const schema = settingSchema(section, key)
  return schema !== undefined && settingMeta.get(schema)?.secret === true
}

const FLOWGATE_ENV_INDEX = new Map<string, { section: string; key: string }>()
for (const [section, schema] of Object.entries(SECTIONS)) {
  for (const key of Object.keys(schema.shape)) {
    FLOWGATE_ENV_INDEX.set(flowgateEnvName(section, key), { section, key })
  }
}

/** Resolves and validates; throws ConfigError listing every bad value with its source. */
export function resolveConfig(input: ConfigInput = {}): ResolvedConfig {
  const raw: RawConfig = {}
  const sources = new Map<string, SettingSource>()
  const issues: ConfigIssue[] = []
  const set = (section: string, key: string, value: unknown, source: SettingSource) => {
    const table = raw[section] ?? {}
    raw[section] = table
    table[key] = value
    sources.set(`${section}.${key}`, source)
  }

  if (input.file) readFile(input.file, raw, sources, issues)
  const env = input.env ?? {}
  for (const compat of COMPAT_ENV) {
    const value = env[compat.name]
    if (value === undefined || value === '') continue
    const schema = settingSchema(compat.section, compat.key)
    if (!schema) continue
    const parsed = compat.read ? compat.read(value, env) : coerceString(leafKind(schema), value)
    set(compat.section, compat.key, parsed, { kind: 'env', name: compat.name })
  }
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('FLOWGATE_') || name === CONFIG_FILE_ENV || value === undefined) continue
    const target = FLOWGATE_ENV_INDEX.get(name)
    if (!target) {
      issues.push({ source: `env ${name}`, message: `no such setting${suggest(name)}` })
      continue
    }
    const schema = settingSchema(target.section, target.key)
    if (schema) set(target.section, target.key, coerceString(leafKind(schema), value), { kind: 'env', name })
  }
  for (const flag of input.flags ?? []) {
    const schema = settingSchema(flag.section, flag.key)
    if (!schema) {
      issues.push({ source: `flag ${flag.name}`, message: `no such setting ${flag.section}.${flag.key}` })
      continue
    }
    set(flag.section, flag.key, coerceString(leafKind(schema), flag.value), { kind: 'flag', name: flag.name })
  }

  const result = configSchema.safeParse(raw)
  if (!result.success)
    issues.push(...result.error.issues.map((issue) => toIssue(issue, raw, sources, input.file)))
  if (issues.length > 0 || !result.success) throw new ConfigError(issues)
  return { config: deepFreeze(result.data), sources }
}

function readFile(
  file: { path: string; text: string },
  raw: RawConfig,
  sources: Map<string, SettingSource>,
  issues: ConfigIssue[]
): void {
  let parsed: Record<string, unknown>
  try {
    parsed = parseToml(file.text)
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split('\n')[0] ?? 'malformed TOML'
      issues.push({
        source: describeSource({ kind: 'file', path: file.path, line: error.line, column: error.column }),
        message: `malformed TOML: ${first.replace(/^Invalid TOML document: /, '')}`,
      })
      return
    }
    throw error
  }
  for (const [section, table] of Object.entries(parsed)) {
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      const at = locateTomlKey(file.text, [section])
      issues.push({
        source: describeSource({ kind: 'file', path: file.path, ...at }),
        message: `"${section}" must be a [section] table`,
      })
      continue
    }
    raw[section] = { ...(table as Record<string, unknown>) }
    for (const key of Object.keys(table)) {
      const at = locateTomlKey(file.text, [section, key])
      sources.set(`${section}.${key}`, { kind: 'file', path: file.path, ...at })
    }
  }
}

function toIssue(
  issue: z.core.$ZodIssue,
  raw: RawConfig,
  sources: ReadonlyMap<string, SettingSource>,
  file: ConfigInput['file']
): ConfigIssue {
  const path = issue.path.map(String)
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys
    const where = [...path, keys[0] ?? '']
    const source = sourceOf(where, sources, file)
    const what = path.length === 0 ? 'section' : 'setting'
    return {
      source,
      message: `unknown ${what} ${keys.map((key) => [...path, key].join('.')).join(', ')}`,
    }
  }
  const [section = '', key = ''] = path
  // The whole path where the problem is (`exec.commands.deploy.path`), its value from there.
  const setting = path.join('.')
  let value: unknown = raw[section]?.[key]
  for (const part of path.slice(2)) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[part] : undefined
  }
  // A URL may carry a password even in a setting that is not secret: show it redacted.
  const shown =
    value === undefined || isSecret(section, key)
      ? ''
      : ` (got ${JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'string' ? redactUrl(inner) : inner))})`
  const message =
    issue.code === 'invalid_type' && value === undefined && path.length > 2
      ? `missing (expected ${issue.expected})`
      : `${issue.message}${shown}`
  return { source: sourceOf(path, sources, file), setting, message }
}

function sourceOf(
  path: readonly string[],
  sources: ReadonlyMap<string, SettingSource>,
  file: ConfigInput['file']
): string {
  const known = sources.get(path.slice(0, 2).join('.'))
  if (known?.kind === 'file' && file && path.length > 2) {
    // A value inside a table setting ([exec.commands.deploy]): its own line where it has one.
    for (let depth = path.length; depth > 2; depth--) {
      const at = locateTomlKey(file.text, path.slice(0, depth))
      if (at) return describeSource({ kind: 'file', path: file.path, ...at })
    }
  }
  if (known) return describeSource(known)
  if (file) {
    const at = locateTomlKey(file.text, path) ?? locateTomlKey(file.text, path.slice(0, 1))
    return describeSource({ kind: 'file', path: file.path, ...at })
  }
  return 'default'
}

function suggest(name: string): string {
  let best: string | undefined
  let bestDistance = 4
  for (const candidate of FLOWGATE_ENV_INDEX.keys()) {
    const distance = editDistance(name, candidate)
    if (distance < bestDistance) {
      best = candidate
      bestDistance = distance
    }
  }
  return best ? ` (did you mean ${best}?)` : ''
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost)
    }
    previous = current
  }
  return previous[b.length] ?? 0
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner)
    Object.freeze(value)
  }
  return value
}
