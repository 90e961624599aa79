/**
 * @module The runs in flight. Shutdown kills every group and waits for them to end; a run that
 * starts after it is killed at once. A set rather than a shutdown signal each run listens to: two
 * listener calls per run were a few per cent of Bun's CPU for a run of `true`.
 */
import type { RunningCommand } from './run-command.ts'

export class RunRegistry {
  readonly #runs = new Set<RunningCommand>()
  #closed = false

  get size(): number {
    return this.#runs.size
  }

  track(run: RunningCommand): void {
    if (this.#closed) run.kill()
    this.#runs.add(run)
    const forget = () => this.#runs.delete(run)
    run.done.then(forget, forget)
  }

  /**
   * Kills every run's group (SIGTERM, then SIGKILL) and resolves once the runs known now have
   * ended; a run tracked later is killed as it starts, not awaited.
   */
  async closeAll(): Promise<void> {
    this.#closed = true
    const runs = [...this.#runs]
    for (const run of runs) run.kill()
    // Held until the runs end: their kill timers and the native helper's pipes do not keep the
    // process alive, and without this it could exit before shutdown finished (and logged it).
    const hold = setInterval(() => {}, 60_000)
    try {
      await Promise.allSettled(runs.map((run) => run.done))
    } finally {
      clearInterval(hold)
    }
  }
}
