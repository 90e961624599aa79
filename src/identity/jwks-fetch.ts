/**
 * @module Fetches a JSON Web Key Set (RFC 7517 §5) for jose with a byte cap, a key-count cap and
 * no redirects: the answer comes from the network and the gateway reads it as untrusted data.
 */
import { readCappedBody } from '../proxy/capped-body.ts'

/** Why the keys of an issuer could not be had. */
export type KeysProblem =
  | 'unreachable'
  | 'timeout'
  | 'not-found'
  | 'status'
  | 'redirect'
  | 'too-large'
  | 'too-many-keys'
  | 'invalid'
  | 'busy'

/** The signing keys are not available: not the token's fault (the identity middleware answers 503). */
export class KeysUnavailableError extends Error {
  override name = 'KeysUnavailableError'
  readonly problem: KeysProblem

  constructor(problem: KeysProblem, message: string, options?: ErrorOptions) {
    super(message, options)
    this.problem = problem
  }
}

export interface JwksFetchOptions {
  /** Largest key set read, in bytes; the fetch is aborted once the body goes past it. */
  maxBytes: number
  /** Most keys a key set may hold. */
  maxKeys: number
  fetch?: typeof fetch | undefined
}

/** The shape of jose's `customFetch` hook. */
export type JwksFetch = (url: string, init: RequestInit) => Promise<Response>

const isAbort = (error: unknown): boolean =>
  (error instanceof Error || error instanceof DOMException) &&
  (error.name === 'TimeoutError' || error.name === 'AbortError')

const fetchFailed = (error: unknown): KeysUnavailableError =>
  isAbort(error)
    ? new KeysUnavailableError('timeout', 'the JWKS endpoint did not answer in time', { cause: error })
    : new KeysUnavailableError('unreachable', 'the JWKS endpoint cannot be reached', { cause: error })

function statusProblem(status: number): KeysUnavailableError {
  if (status === 404 || status === 410)
    return new KeysUnavailableError('not-found', `the JWKS endpoint answered HTTP ${status}`)
  // jose asks for redirect: 'manual'; following one would let the JWKS host send us anywhere.
  if (status >= 300 && status < 400)
    return new KeysUnavailableError('redirect', `the JWKS endpoint redirects (HTTP ${status}); not followed`)
  return new KeysUnavailableError('status', `the JWKS endpoint answered HTTP ${status}`)
}

const tooLarge = (maxBytes: number) =>
  new KeysUnavailableError('too-large', `the key set is larger than ${maxBytes} bytes`)

/** Reads the body up to maxBytes; past that the stream is cancelled, which closes the connection. */
function readCapped(response: Response, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  return readCappedBody(response, maxBytes, { tooLarge: () => tooLarge(maxBytes), readFailed: fetchFailed })
}

function keyCount(body: Uint8Array): number {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(body))
  } catch (cause) {
    throw new KeysUnavailableError('invalid', 'the key set is not JSON', { cause })
  }
  const keys = typeof json === 'object' && json !== null ? (json as { keys?: unknown }).keys : undefined
  if (!Array.isArray(keys)) throw new KeysUnavailableError('invalid', 'the key set has no "keys" list')
  return keys.length
}

/**
 * A fetch for jose's `customFetch` that answers jose a 200 with a checked, bounded body, or throws
 * KeysUnavailableError. jose's own deadline (its `signal`) covers the body read too.
 */
export function cappedJwksFetch(options: JwksFetchOptions): JwksFetch {
  const { maxBytes, maxKeys } = options
  const fetchImpl = options.fetch ?? ((input, init) => fetch(input, init))
  return async function jwksFetch(url, init) {
    let response: Response
    try {
      response = await fetchImpl(url, { ...init, redirect: 'manual' })
    } catch (error) {
      throw fetchFailed(error)
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined)
      throw statusProblem(response.status)
    }
    const body = await readCapped(response, maxBytes)
    const count = keyCount(body)
    if (count > maxKeys) {
      throw new KeysUnavailableError('too-many-keys', `the key set holds ${count} keys, more than ${maxKeys}`)
    }
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  }
}
