/** @module Secret-free views of the configuration, for `config check` and logs. */
import { type Config, settingMeta, settingSchema } from './schema.ts'

export const REDACTED = '[redacted]'

/** `scheme://user:` then the password up to the last `@` of the authority (WHATWG URL). */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#:]*:)[^/?#]+@/i

/**
 * Removes a password from `scheme://user:password@host` URLs. Textual, so the rest of the URL
 * is shown as written and a URL too malformed to parse still loses its password.
 */
export function redactUrl(value: string): string {
  return value.replace(URL_PASSWORD, `$1${REDACTED}@`)
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
