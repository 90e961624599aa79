/**
 * @module The key sets of token issuers (one per realm when the issuer holds {tenant}). Realm
 * names come from unverified tokens, so a realm earns its place only by a token that verified
 * against its keys; realms never proven live apart (a small set, a few fetches at a time) and
 * realms whose keys could not be fetched are remembered apart with a back-off, so made-up realms
 * can neither push proven realms out nor use up anything a real realm needs.
 */
import { createRemoteJWKSet, customFetch } from 'jose'
import { type JwksFetch, KeysUnavailableError } from './jwks-fetch.ts'

export type KeySet = ReturnType<typeof createRemoteJWKSet>

export interface IssuerKeysOptions {
  /** The JWKS URL of a realm, built from configuration. */
  jwksUrl: (realm: string) => URL
  fetch: JwksFetch
  timeoutMs: number
  /** Proven realms kept (least recently used goes first; only another proven realm evicts one). */
  maxProven: number
  /** Realms fetched but not proven yet, kept so that their next token needs no new fetch. */
  maxUnproven: number
  /** Key-set fetches of unproven realms in flight at once; more are refused as `busy`. */
  maxUnprovenFetches: number
  /** Realms whose fetch failed, remembered for their back-off (oldest forgotten first). */
  maxFailed: number
  /** Realm names come from tokens ({tenant} in the issuer): a 404 then means a made-up realm. */
  perRealm: boolean
  /** Called when a fetch fails, at most once per problem until a fetch succeeds again. */
  onWarning?: ((message: string, fields: Record<string, unknown>) => void) | undefined
}

interface Failure {
  until: number
  failures: number
  error: Error
}

// A made-up realm (HTTP 404) is retried after 30 s, then 1, 2, 4… up to 10 minutes; any other
// failure (the JWKS host down or misbehaving) after 5 s up to a minute, so recovery is quick.
const BACKOFF_MS = { 'not-found': [30_000, 600_000], other: [5_000, 60_000] } as const

function backoffMs(failures: number, error: Error): number {
  const [first, most] =
    error instanceof KeysUnavailableError && error.problem !== 'not-found'
      ? BACKOFF_MS.other
      : BACKOFF_MS['not-found']
  return Math.min(most, first * 2 ** Math.min(failures - 1, 20))
}

/** Inserts as most recently used and drops the least recently used past `max`. */
function keep<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key)
  map.set(key, value)
  while (map.size > max) map.delete(map.keys().next().value as string)
}

export interface IssuerKeys {
  /** The key set for a token of `realm`; throws the remembered failure while the realm backs off. */
  lookup(realm: string): KeySet
  /** A token verified against `keys`: the realm is proven. */
  proven(realm: string, keys: KeySet): void
  /** The keys of `realm` could not be had (`error` is what its tokens get until the back-off ends). */
  failed(realm: string, error: Error): void
}

export function issuerKeys(options: IssuerKeysOptions): IssuerKeys {
  const proven = new Map<string, KeySet>()
  const unproven = new Map<string, KeySet>()
  const failed = new Map<string, Failure>()
  const warned = new Set<string>()
  let unprovenFetches = 0

  const warnOnce = (realm: string, error: unknown) => {
    if (!(error instanceof KeysUnavailableError) || warned.has(error.problem)) return
    warned.add(error.problem)
    options.onWarning?.(`token signing keys unavailable: ${error.message}`, { realm, problem: error.problem })
  }

  const fetchFor = (realm: string): JwksFetch => {
    const fetchOnce: JwksFetch = async (url, init) => {
      try {
        const response = await options.fetch(url, init)
        warned.clear()
        return response
      } catch (error) {
        // A 404 for an unproven realm named by a token is a made-up name, not an operator's problem.
        const madeUp = options.perRealm && !proven.has(realm)
        if (!(madeUp && error instanceof KeysUnavailableError && error.problem === 'not-found'))
          warnOnce(realm, error)
        throw error
      }
    }
    return async (url, init) => {
      if (proven.has(realm)) return fetchOnce(url, init)
      if (unprovenFetches >= options.maxUnprovenFetches) {
        const busy = new KeysUnavailableError('busy', 'too many key sets of new realms are being fetched')
        warnOnce(realm, busy)
        throw busy
      }
      unprovenFetches++
      try {
        return await fetchOnce(url, init)
      } finally {
        unprovenFetches--
      }
    }
  }

  const create = (realm: string): KeySet =>
    createRemoteJWKSet(options.jwksUrl(realm), {
      timeoutDuration: options.timeoutMs,
      cooldownDuration: 30_000,
      [customFetch]: fetchFor(realm),
    })

  return {
    lookup(realm) {
      const known = proven.get(realm)
      if (known) {
        keep(proven, realm, known, options.maxProven)
        return known
      }
      const failure = failed.get(realm)
      if (failure && Date.now() < failure.until) throw failure.error
      const pending = unproven.get(realm) ?? create(realm)
      keep(unproven, realm, pending, options.maxUnproven)
      return pending
    },
    proven(realm, keys) {
      unproven.delete(realm)
      failed.delete(realm)
      keep(proven, realm, keys, options.maxProven)
    },
    failed(realm, error) {
      // A proven realm keeps its place: its keys were good, the host may be back soon.
      if (proven.has(realm) || (error instanceof KeysUnavailableError && error.problem === 'busy')) return
      unproven.delete(realm)
      const failures = (failed.get(realm)?.failures ?? 0) + 1
      keep(
        failed,
        realm,
        { until: Date.now() + backoffMs(failures, error), failures, error },
        options.maxFailed
      )
    },
  }
}
