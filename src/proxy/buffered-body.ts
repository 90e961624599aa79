/**
 * @module A hint that travels with an engine answer whose body was already read whole: the bytes
 * themselves, under a registered symbol. A forwarder that buffers small answers (the Node entry's
 * node:http one) attaches them; the gateway then uses them as they are instead of pumping the same
 * bytes through a web stream once more (and reads its headers from the record it was built
 * from). Answers without the hint (the platform fetch on Bun, Deno and Workers) are read as
 * usual, so the hint changes speed, never behaviour.
 */

const BYTES = Symbol.for('flowgate.bufferedBody')

/**
 * Put on a fetch init by a caller that will read the whole answer anyway (up to this many bytes):
 * a forwarder that buffers may then read an answer of known length up to that size whole too.
 * The platform fetch ignores it.
 */
export const READ_WHOLE = Symbol.for('flowgate.readWhole')

export type ReadWholeInit = RequestInit & { [READ_WHOLE]?: number }

const HEADERS = Symbol.for('flowgate.bufferedHeaders')

type WithBytes = Response & {
  [BYTES]?: Uint8Array<ArrayBuffer>
  [HEADERS]?: Readonly<Record<string, string>>
}

/**
 * A response with these bytes as its body, carrying the hint. Headers given as a record (names
 * lower-case) are kept beside it too, for header lookups that need no Headers object.
 */
export function bufferedResponse(
  bytes: Uint8Array<ArrayBuffer>,
  init: { status: number; headers?: Record<string, string> | Headers }
): Response {
  const headers = init.headers ?? {}
  const response: WithBytes = new Response(bytes, { status: init.status, headers })
  response[BYTES] = bytes
  if (!(headers instanceof Headers)) response[HEADERS] = headers
  return response
}

/** One response header (by lower-case name): from the kept record when there is one. */
export function headerOf(response: Response, name: string): string | null {
  const record = (response as WithBytes)[HEADERS]
  return record ? (record[name] ?? null) : response.headers.get(name)
}

/**
 * The header record a response was built from by `bufferedResponse` (names lower-case), for a
 * writer that sends it as it is; undefined for any other response.
 */
export function keptHeaders(response: Response): Readonly<Record<string, string>> | undefined {
  return (response as WithBytes)[HEADERS]
}

/** The whole body, when the response carries the hint (reading it does not consume anything). */
export function bufferedBody(response: Response): Uint8Array<ArrayBuffer> | undefined {
  return (response as WithBytes)[BYTES]
}
