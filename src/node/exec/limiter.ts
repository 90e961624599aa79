/** @module Global and per-command concurrency slots; a full limiter answers 429 with Retry-After. */
import { AppError } from '../../errors.ts'

export interface LimiterOptions {
  maxConcurrent: number
  maxConcurrentPerCommand: number
}

/** Counts running commands; `acquire` never waits (a queue would hide overload from clients). */
export class Limiter {
  readonly #options: LimiterOptions
  readonly #perCommand = new Map<string, number>()
  #running = 0

  constructor(options: LimiterOptions) {
    this.#options = options
  }

  get running(): number {
    return this.#running
  }

  /** Takes a slot for `command` or throws 429; the returned function frees it (once). */
  acquire(command: string): () => void {
    const current = this.#perCommand.get(command) ?? 0
    if (this.#running >= this.#options.maxConcurrent) throw busy('Too many commands are running.')
    if (current >= this.#options.maxConcurrentPerCommand)
      throw busy('This command is already running too often.')
    this.#running++
    this.#perCommand.set(command, current + 1)
    let released = false
    return () => {
      if (released) return
      released = true
      this.#running--
      const left = (this.#perCommand.get(command) ?? 1) - 1
      if (left === 0) this.#perCommand.delete(command)
      else this.#perCommand.set(command, left)
    }
  }
}

function busy(detail: string): AppError {
  return new AppError('FG_ERR_EXEC_BUSY', { detail, headers: { 'retry-after': '1' } })
}
