/**
 * @module exec.max_buffered_bytes: one budget for the memory that the output of all buffered runs
 * holds at once. Each run has a share that grows as its output arrives, charged for the bytes held
 * and for the reply they become (escaping can grow them sixfold). A run whose output would pass the
 * budget is truncated like at exec.max_output_bytes; its share is freed once its reply is sent.
 */

/** One run's part of the budget. */
export interface BudgetShare {
  /** Charges `bytes`; false (nothing charged) when the budget cannot hold them. */
  take(bytes: number): boolean
  /** Sets the charge to `bytes` (once the reply is built, only the reply is held). */
  settle(bytes: number): void
  /** Frees the whole share (once); later calls do nothing. */
  release(): void
}

export class OutputBudget {
  readonly limit: number
  #used = 0
  #peak = 0

  constructor(limit: number) {
    this.limit = limit
  }

  /** Bytes charged to running or unsent runs now. */
  get used(): number {
    return this.#used
  }

  /** The most ever charged at once (never above `limit`). */
  get peak(): number {
    return this.#peak
  }

  share(): BudgetShare {
    let charged = 0
    let released = false
    const add = (bytes: number) => {
      this.#used += bytes
      charged += bytes
      if (this.#used > this.#peak) this.#peak = this.#used
    }
    return {
      take: (bytes) => {
        if (released || this.#used + bytes > this.limit) return false
        add(bytes)
        return true
      },
      settle: (bytes) => {
        if (released) return
        // Never above what was taken: a reply is built only from charged output (plus a few bytes of
        // JSON, covered by the charge for the reply).
        add(Math.min(bytes, charged) - charged)
      },
      release: () => {
        if (released) return
        released = true
        this.#used -= charged
        charged = 0
      },
    }
  }
}

const BACKSLASH = 0x5c
const QUOTE = 0x22

/** Bytes of `chunk` once escaped as JSON string text (as JSON.stringify does; UTF-8 kept as is). */
export function escapedLength(chunk: Uint8Array): number {
  let length = chunk.byteLength
  for (let i = 0; i < chunk.byteLength; i++) {
    const byte = chunk[i] ?? 0
    if (byte >= 0x20) {
      if (byte === QUOTE || byte === BACKSLASH) length += 1
    } else if (byte === 0x08 || byte === 0x09 || byte === 0x0a || byte === 0x0c || byte === 0x0d) {
      length += 1
    } else {
      length += 5
    }
  }
  return length
}

/**
 * An upper bound of the reply bytes that `byteLength` raw output bytes become in `encode` (per
 * chunk; an output that is not UTF-8 goes out as base64 instead of escaped text, so both count).
 */
export function replyLength(chunk: Uint8Array, encode: 'base64' | 'base85' | null): number {
  const n = chunk.byteLength
  const base64 = Math.ceil(n / 3) * 4
  if (encode === 'base64') return base64
  // Ascii85's alphabet holds `"` and `\`, which the reply escapes.
  if (encode === 'base85') return Math.ceil(n / 4) * 5 * 2
  return Math.max(escapedLength(chunk), base64)
}
