/** @module Parses the configured bearer tokens (stored as SHA-256 hashes) and HMAC keys with their scopes. */
import { ConfigError } from '../../config/sources.ts'

export interface TokenCredential {
  id: string
  /** SHA-256 of the token, 32 bytes. */
  hash: Buffer
  scopes: readonly string[]
}

export interface HmacCredential {
  id: string
  key: Buffer
  scopes: readonly string[]
}

const ID = /^[A-Za-z0-9_.-]{1,64}$/
const HEX64 = /^[0-9a-f]{64}$/i
/** A command name, `prefix/*` or `*`. */
export const SCOPE = /^(\*|[A-Za-z0-9_.\-/]+(\/\*)?)$/

function scopesOf(raw: string, source: string): string[] {
  const scopes = raw
    .split(',')
    .map((scope) => scope.trim())
    .filter((scope) => scope !== '')
  const bad = scopes.find((scope) => !SCOPE.test(scope))
  if (scopes.length === 0 || bad !== undefined) {
    throw new ConfigError([{ source, message: 'scopes must be command names, "prefix/*" or "*"' }])
  }
  return scopes
}

/**
 * The credentials of a list whose items may have been cut at every comma. In the environment
 * (FLOWGATE_EXEC_TOKENS, FLOWGATE_EXEC_HMAC_KEYS) the list and a credential's scopes share the
 * comma: `ci:<hash>:deploy/*,echo,ops:<hash>:*`. A scope never holds a colon and a credential
 * always does, so an item without one is one more scope of the credential before it.
 */
export function joinScopes(entries: readonly string[]): string[] {
  const joined: string[] = []
  for (const entry of entries) {
    const last = joined.length - 1
    if (!entry.includes(':') && last >= 0) joined[last] = `${joined[last]},${entry}`
    else joined.push(entry)
  }
  return joined
}

/** `id:sha256hex:scopes`, e.g. `ci:9f86d081…:deploy/*,echo` (joinScopes for the environment). */
export function parseTokens(entries: readonly string[]): TokenCredential[] {
  return joinScopes(entries).map((entry, index) => {
    const source = `exec.tokens[${index}]`
    const [id = '', hash = '', scopes = '', ...rest] = entry.split(':')
    if (!ID.test(id) || !HEX64.test(hash) || rest.length > 0) {
      throw new ConfigError([{ source, message: 'expected "id:<64 hex digits of sha256(token)>:scopes"' }])
    }
    return { id, hash: Buffer.from(hash, 'hex'), scopes: scopesOf(scopes, source) }
  })
}

/** `id:key:scopes`; the key is everything between the first and the last colon (joinScopes too). */
export function parseHmacKeys(entries: readonly string[]): HmacCredential[] {
  return joinScopes(entries).map((entry, index) => {
    const source = `exec.hmac_keys[${index}]`
    const first = entry.indexOf(':')
    const last = entry.lastIndexOf(':')
    const id = entry.slice(0, first)
    const key = entry.slice(first + 1, last)
    if (first < 0 || last === first || !ID.test(id) || key.length < 16) {
      throw new ConfigError([
        { source, message: 'expected "id:key:scopes" with a key of 16 characters or more' },
      ])
    }
    return { id, key: Buffer.from(key, 'utf8'), scopes: scopesOf(entry.slice(last + 1), source) }
  })
}

/** Whether a credential's scopes allow the command name. */
export function scopeAllows(scopes: readonly string[], command: string): boolean {
  return scopes.some((scope) => {
    if (scope === '*') return true
    if (scope.endsWith('/*')) return command.startsWith(scope.slice(0, -1))
    return scope === command
  })
}
