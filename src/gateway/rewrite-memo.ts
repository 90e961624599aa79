/**
 * @module Remembers the last results of a pure rewrite of one engine answer — e.g. the workflow
 * definition list as each kind of caller may see it — so an engine that answers the same bytes
 * again (the usual case: definitions change rarely) costs a byte comparison instead of a JSON
 * parse, rewrite and serialisation. The engine is still asked every time; only the rewrite is
 * reused, and only for exactly the same bytes. One source at a time: an answer that differs in
 * any byte drops every remembered result. Bounded in entries and bytes; a cache, never state.
 */

export interface RewriteMemoOptions {
  /** Results kept for the current source (one per view, least recently used dropped first). */
  maxViews: number
  /** Total bytes of the kept results. */
  maxBytes: number
}

export class RewriteMemo {
  readonly #options: RewriteMemoOptions
  #source: Uint8Array | undefined
  readonly #views = new Map<string, Uint8Array<ArrayBuffer>>()
  #bytes = 0
  #hits = 0

  constructor(options: RewriteMemoOptions) {
    if (!Number.isSafeInteger(options.maxViews) || options.maxViews < 1) {
      throw new Error('RewriteMemo: maxViews must be a positive integer')
    }
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) {
      throw new Error('RewriteMemo: maxBytes must be a positive integer')
    }
    this.#options = options
  }

  /**
   * The result of `rewrite` for this source as seen by `view` (a key naming everything besides
   * the source that the result depends on): remembered when the same bytes were rewritten for
   * the same view before, else computed now. `rewrite` must be a pure function of the two.
   */
  rewrite(source: Uint8Array, view: string, rewrite: () => Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
    if (this.#source !== undefined && sameBytes(this.#source, source)) {
      const kept = this.#views.get(view)
      if (kept !== undefined) {
        this.#hits++
        this.#views.delete(view)
        this.#views.set(view, kept)
        return kept
      }
    } else {
      this.#source = source
      this.#views.clear()
      this.#bytes = 0
    }
    const result = rewrite()
    this.#keep(view, result)
    return result
  }

  /** Results served from memory so far (for tests and metrics). */
  get hits(): number {
    return this.#hits
  }

  #keep(view: string, result: Uint8Array<ArrayBuffer>): void {
    if (result.byteLength > this.#options.maxBytes) return
    const previous = this.#views.get(view)
    if (previous !== undefined) {
      this.#views.delete(view)
      this.#bytes -= previous.byteLength
    }
    this.#views.set(view, result)
    this.#bytes += result.byteLength
    for (const [oldest, kept] of this.#views) {
      if (this.#views.size <= this.#options.maxViews && this.#bytes <= this.#options.maxBytes) break
      this.#views.delete(oldest)
      this.#bytes -= kept.byteLength
    }
  }
}

/** memcmp where the runtime offers it (Node's and Bun's Buffer): several times a JavaScript loop. */
const nativeCompare = (globalThis as { Buffer?: { compare(a: Uint8Array, b: Uint8Array): number } }).Buffer
  ?.compare

/** Byte equality: native where possible, else four bytes at a time where both views allow it. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a === b) return true
  const length = a.byteLength
  if (length !== b.byteLength) return false
  if (nativeCompare) return nativeCompare(a, b) === 0
  return sameBytesLoop(a, b)
}

/** The portable comparison (exported for tests: Node would otherwise always take memcmp). */
export function sameBytesLoop(a: Uint8Array, b: Uint8Array): boolean {
  const length = a.byteLength
  if (length !== b.byteLength) return false
  let i = 0
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = length >>> 2
    const wa = new Uint32Array(a.buffer, a.byteOffset, words)
    const wb = new Uint32Array(b.buffer, b.byteOffset, words)
    for (let w = 0; w < words; w++) if (wa[w] !== wb[w]) return false
    i = words << 2
  }
  for (; i < length; i++) if (a[i] !== b[i]) return false
  return true
}
