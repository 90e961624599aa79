/**
 * @module What the task proxy logs about failing polls: once when a tenant's polls start failing
 * and once when they succeed again, once when every tenant's poll fails (the engine is down: the
 * polls then answer 502) and once when the engine answers again, never a line per poll and never
 * a stack. A fleet of workers polls many times a second; an outage must not flood the log.
 */

import { causeSummary } from '../middleware/errors.ts'
import type { Logger } from '../ops/logger.ts'

interface TaskTypeState {
  /** Every tenant's last poll failed (the engine is taken as down for this task type). */
  down: boolean
  /** Tenants whose last poll failed while others answered. */
  failing: Set<string>
}

/** Poll failures per task type (one worker's odd task type must not make another's lines flip). */
export class PollOutage {
  readonly #byType = new Map<string, TaskTypeState>()
  readonly #maxTypes: number

  constructor(maxTypes = 10_000) {
    this.#maxTypes = maxTypes
  }

  /**
   * A poll round of `taskType` ended: `failed` holds each failed tenant's error, `succeeded` the
   * tenants that answered. Returns whether every tenant failed.
   */
  round(
    logger: Logger,
    taskType: string,
    failed: ReadonlyMap<string, unknown>,
    succeeded: readonly string[]
  ): boolean {
    const state = this.#state(taskType)
    if (succeeded.length === 0 && failed.size > 0) {
      if (!state.down) {
        state.down = true
        state.failing.clear()
        const [first] = failed.values()
        logger.warn('task polls fail for every tenant; answering 502 until the engine answers again', {
          taskType,
          tenants: failed.size,
          error: summary(first),
        })
      }
      return true
    }
    if (state.down && succeeded.length > 0) {
      state.down = false
      logger.info('task polls succeed again', { taskType, tenants: succeeded.length })
    }
    for (const tenant of succeeded) {
      if (state.failing.delete(tenant)) logger.info('tenant poll succeeds again', { taskType, tenant })
    }
    for (const [tenant, error] of failed) {
      if (state.failing.has(tenant)) continue
      state.failing.add(tenant)
      logger.warn('tenant poll failed; skipped until it answers', { taskType, tenant, error: summary(error) })
    }
    return false
  }

  #state(taskType: string): TaskTypeState {
    let state = this.#byType.get(taskType)
    if (!state) {
      if (this.#byType.size >= this.#maxTypes) this.#byType.clear()
      state = { down: false, failing: new Set() }
      this.#byType.set(taskType, state)
    }
    return state
  }
}

/** The error and its causes (fetch failed ← ECONNREFUSED), without a stack. */
function summary(error: unknown): Array<Record<string, string>> {
  const chain = causeSummary(error)
  // An AppError's own name says little; its cause says why.
  return chain.length > 0 ? chain : [{ message: String(error) }]
}
