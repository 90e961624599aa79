/**
 * @module A hint that travels with an engine answer whose body was already read whole: the bytes
 * themselves, under a registered symbol. A forwarder that buffers small answers (the Node entry's
 * node:http one) attaches them; the gateway then uses them as they are instead of pumping the same
 * bytes through a web stream once more. Answers without the hint (the platform fetch on Bun, Deno
 * and Workers) are read as usual, so the hint changes speed, never behaviour.
 */

const BYTES = Symbol.for('flowgate.bufferedBody')

/**
 * Put on a fetch init by a caller that will read the whole answer anyway (up to this many bytes):
 * a forwarder that buffers may then read an answer of known length up to that size whole too.
 * The platform fetch ignores it.
 */
export const READ_WHOLE = Symbol.for('flowgate.readWhole')

export type ReadWholeInit = RequestInit & { [READ_WHOLE]?: number }

type WithBytes = Response & { [BYTES]?: Uint8Array<ArrayBuffer> }

/** A response with these bytes as its body, carrying the hint. */
export function bufferedResponse(bytes: Uint8Array<ArrayBuffer>, init: ResponseInit): Response {
  const response: WithBytes = new Response(bytes, init)
  response[BYTES] = bytes
  return response
}

/** The whole body, when the response carries the hint (reading it does not consume anything). */
export function bufferedBody(response: Response): Uint8Array<ArrayBuffer> | undefined {
  return (response as WithBytes)[BYTES]
}

/** The whole body as bytes: the hint when present, else read from the stream. */
export async function bodyBytes(response: Response): Promise<Uint8Array<ArrayBuffer>> {
  return bufferedBody(response) ?? new Uint8Array(await response.arrayBuffer())
}
