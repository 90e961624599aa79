/** @module Secret-free views of the configuration, for `config check` and logs. */
import { settingSchema } from './resolve.ts'
import { type Config, settingMeta } from './schema.ts'

export const REDACTED = '[redacted]'

/** Removes a password from `scheme://user:password@host` URLs. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value)
    if (!url.password) return value
    url.password = REDACTED
    return url.toString()
  } catch {
    return value
  }
}

/** A deep copy of the configuration with every secret (and URL password) replaced. */
export function redactConfig(config: Readonly<Config>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const [section, table] of Object.entries(config)) {
    const copy: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(table as Record<string, unknown>)) {
      const schema = settingSchema(section, key)
      const secret = schema !== undefined && settingMeta.get(schema)?.secret === true
      if (secret && value !== undefined) copy[key] = REDACTED
      else if (typeof value === 'string') copy[key] = redactUrl(value)
      else copy[key] = Array.isArray(value) ? [...value] : value
    }
    out[section] = copy
  }
  return out
}
