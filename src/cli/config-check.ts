/** @module `flowgate config check`: validates and prints the resolved configuration, redacted. */
import { parseArgs } from 'node:util'
import { redactConfig } from '../config/redact.ts'
import { describeSource, type SettingSource } from '../config/sources.ts'
import { loadConfig } from '../runtime/load-config.ts'
import { CONFIG_OPTIONS, configFlags } from './config-flags.ts'
import { CONFIG_HELP } from './usage.ts'

export function configCheckCommand(args: string[], out: (text: string) => void): number {
  const { values } = parseArgs({
    args,
    options: { ...CONFIG_OPTIONS, json: { type: 'boolean' } },
    strict: true,
    allowPositionals: false,
  })
  if (values.help) {
    out(CONFIG_HELP)
    return 0
  }
  const loaded = loadConfig({
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    flags: configFlags(values),
  })
  const redacted = redactConfig(loaded.config)
  if (values.json) {
    const sources = Object.fromEntries(
      [...loaded.sources].map(([key, source]) => [key, describeSource(source)])
    )
    out(JSON.stringify({ file: loaded.file ?? null, config: redacted, sources }, null, 2))
    return 0
  }
  out(renderAnnotated(redacted, loaded.sources, loaded.file))
  return 0
}

function tomlValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(', ')}]`
  if (typeof value === 'object' && value !== null) {
    // An inline table: `{ key = value, … }` (keys quoted only when they must be).
    const entries = Object.entries(value).filter(([, inner]) => inner !== undefined)
    const key = (name: string) => (/^[A-Za-z0-9_-]+$/.test(name) ? name : JSON.stringify(name))
    return `{ ${entries.map(([name, inner]) => `${key(name)} = ${tomlValue(inner)}`).join(', ')} }`
  }
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** TOML that could be fed back in, each value annotated with where it came from. */
function renderAnnotated(
  config: Record<string, Record<string, unknown>>,
  sources: ReadonlyMap<string, SettingSource>,
  file: string | undefined
): string {
  const lines = [`# configuration OK${file ? ` (file: ${file})` : ' (no file)'}`]
  for (const [section, table] of Object.entries(config)) {
    lines.push('', `[${section}]`)
    for (const [key, value] of Object.entries(table)) {
      const source = sources.get(`${section}.${key}`)
      const from = source ? describeSource(source) : 'default'
      lines.push(value === undefined ? `# ${key} is unset` : `${key} = ${tomlValue(value)}  # ${from}`)
    }
  }
  return lines.join('\n')
}
