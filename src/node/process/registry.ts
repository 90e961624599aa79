/**
 * @module The children in flight, one-shot runs and long-lived children alike. Shutdown kills every
 * group and waits for them to end; a child tracked after that is killed at once. A set rather than
 * a shutdown signal each child listens to: two listener calls per run were a few per cent of Bun's
 * CPU for a run of `true`.
 */

/** What the registry needs of a child: a group kill (SIGTERM, then SIGKILL) and its end. */
export interface Tracked {
  kill(): void
  done: Promise<unknown>
}

export class ProcessRegistry {
  readonly #children = new Set<Tracked>()
  #closed = false

  get size(): number {
    return this.#children.size
  }

  track(child: Tracked): void {
    if (this.#closed) child.kill()
    this.#children.add(child)
    const forget = () => this.#children.delete(child)
    child.done.then(forget, forget)
  }

  /**
   * Kills every child's group (SIGTERM, then SIGKILL) and resolves once the children known now have
   * ended; a child tracked later is killed as it starts, not awaited.
   */
  async closeAll(): Promise<void> {
    this.#closed = true
    const children = [...this.#children]
    for (const child of children) child.kill()
    // Held until the children end: their kill timers and the native helper's pipes do not keep the
    // process alive, and without this it could exit before shutdown finished (and logged it).
    const hold = setInterval(() => {}, 60_000)
    try {
      await Promise.allSettled(children.map((child) => child.done))
    } finally {
      clearInterval(hold)
    }
  }
}
