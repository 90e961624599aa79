/** @module Readiness checks that modules register; /readyz runs them all with a deadline each. */

/** Resolves when ready; throws (or times out) when not. */
export type ReadinessCheck = (signal: AbortSignal) => Promise<void>

export interface CheckResult {
  name: string
  ok: boolean
  ms: number
  /** Logged, never sent to clients. */
  error?: unknown
}

export interface ReadinessReport {
  ready: boolean
  checks: CheckResult[]
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/
/** The largest delay timers honour (2^31 - 1 ms); beyond it they fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647

export class Readiness {
  readonly #checks = new Map<string, { check: ReadinessCheck; timeoutMs: number }>()

  /**
   * Adds a check under a unique, lower-case name.
   * @example readiness.register('conductor', async (signal) => { await ping(signal) })
   */
  register(name: string, check: ReadinessCheck, options: { timeoutMs?: number } = {}): void {
    if (!NAME.test(name)) throw new Error(`readiness check name "${name}" must match ${NAME}`)
    if (this.#checks.has(name)) throw new Error(`readiness check "${name}" is already registered`)
    const timeoutMs = options.timeoutMs ?? 2_000
    // AbortSignal.timeout() throws for these, which would fail every later run().
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
      throw new Error(`readiness check "${name}": timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}`)
    }
    this.#checks.set(name, { check, timeoutMs })
  }

  get names(): string[] {
    return [...this.#checks.keys()]
  }

  async run(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      [...this.#checks].map(async ([name, { check, timeoutMs }]): Promise<CheckResult> => {
        const started = performance.now()
        const signal = AbortSignal.timeout(timeoutMs)
        try {
          await Promise.race([check(signal), rejectOnAbort(signal)])
          return { name, ok: true, ms: Math.round(performance.now() - started) }
        } catch (error) {
          return { name, ok: false, ms: Math.round(performance.now() - started), error }
        }
      })
    )
    return { ready: checks.every((check) => check.ok), checks }
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
  })
}
