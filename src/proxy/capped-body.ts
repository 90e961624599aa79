/**
 * @module Reads a response body whole up to a byte cap, never buffering more: a body announced
 * larger is refused before a byte is read, one that streams past the cap is cancelled there (which
 * closes its connection). Engine answers and key sets are both read this way.
 */

/** The errors a reader throws, in its caller's terms. */
export interface CapFailures {
  tooLarge(): Error
  readFailed(error: unknown): Error
}

export async function readCappedBody(
  response: Response,
  limit: number,
  failures: CapFailures
): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.body) return new Uint8Array(0)
  const declared = Number(response.headers.get('content-length') ?? Number.NaN)
  if (declared > limit) {
    await response.body.cancel().catch(() => undefined)
    throw failures.tooLarge()
  }
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>
    try {
      chunk = await reader.read()
    } catch (error) {
      throw failures.readFailed(error)
    }
    if (chunk.done) break
    size += chunk.value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => undefined)
      throw failures.tooLarge()
    }
    chunks.push(chunk.value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array<ArrayBuffer>
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.byteLength
  }
  return bytes
}
