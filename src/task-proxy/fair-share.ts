/**
 * @module Splits a worker's batch poll of `count` tasks across tenants so the total never exceeds
 * `count` and, by rotating the starting tenant on every poll, no tenant starves.
 */

export interface Share {
  tenant: string
  count: number
}

/**
 * Tenants in rotated order with how many tasks to ask each for; tenants past the budget get none.
 * @example shares(['a','b','c'], 4, 1) // [{b,2},{c,1},{a,1}]
 */
export function shares(tenants: readonly string[], count: number, start: number): Share[] {
  const n = tenants.length
  if (n === 0 || count <= 0) return []
  const offset = ((start % n) + n) % n
  const rotated = [...tenants.slice(offset), ...tenants.slice(0, offset)]
  const base = Math.floor(count / n)
  const extra = count % n
  return rotated
    .map((tenant, i) => ({ tenant, count: base + (i < extra ? 1 : 0) }))
    .filter((share) => share.count > 0)
}

/** A per-key counter that says where the next rotation starts. */
export class Rotation {
  readonly #next = new Map<string, number>()
  readonly #maxKeys: number

  constructor(maxKeys = 10_000) {
    this.#maxKeys = maxKeys
  }

  take(key: string): number {
    const value = this.#next.get(key) ?? 0
    if (!this.#next.has(key) && this.#next.size >= this.#maxKeys) this.#next.clear()
    this.#next.set(key, (value + 1) % 1_000_000)
    return value
  }
}
