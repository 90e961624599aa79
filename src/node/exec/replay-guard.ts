/**
 * @module Remembers the signed requests already accepted until their timestamp leaves the window,
 * so a captured request cannot be replayed within it (reference §6.6: webhook and webhookd check
 * no freshness at all; a window alone still allows replays for its whole length).
 */

/** Enough for ~300 signed runs a second over the default 300 s window. */
const MAX_ENTRIES = 100_000

export class ReplayGuard {
  /** Signature (hex) → when it stops being acceptable anyway (ms). */
  readonly #seen = new Map<string, number>()
  readonly #maxEntries: number

  constructor(maxEntries = MAX_ENTRIES) {
    this.#maxEntries = maxEntries
  }

  /**
   * Records `signature` as used until `expiresMs`. False when it was already used, or when the
   * guard is full of live entries (refusing is safer than forgetting one that could be replayed).
   */
  accept(signature: string, expiresMs: number, nowMs: number): boolean {
    const previous = this.#seen.get(signature)
    if (previous !== undefined && previous >= nowMs) return false
    if (this.#seen.size >= this.#maxEntries) this.#prune(nowMs)
    if (this.#seen.size >= this.#maxEntries) return false
    this.#seen.set(signature, expiresMs)
    return true
  }

  #prune(nowMs: number): void {
    for (const [signature, expires] of this.#seen) {
      if (expires < nowMs) this.#seen.delete(signature)
    }
  }
}
