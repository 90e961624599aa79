/**
 * @module Which spawn helper a `spawn_helper` setting selects, and whether streams go through it. Node
 * needs one (its spawn forks the large server process). Bun spawns with posix_spawn, yet in
 * bench/exec its buffered runs were faster through the native helper; its streams through the
 * helper grew its memory, so with "auto" Bun streams spawn directly, watched by the helper. Deno
 * uses a helper only when asked for by name.
 */
import type { SpawnHelperMode } from '../../config/sections/exec.ts'
import { ConfigError } from '../../config/sources.ts'
import type { RuntimeKey } from '../../env.ts'
import { createNativeHelper, nativeHelperProblem } from './native-helper.ts'
import { createNodeHelper, type HelperSpawner } from './node-helper.ts'

export interface SpawnHelperChoice {
  kind: 'native' | 'node' | 'off'
  helper: HelperSpawner | undefined
  /**
   * Streaming runs go through the helper (the native one has backpressure end to end) rather than
   * spawn directly with the helper watching their groups.
   */
  streamsThroughHelper: boolean
  /** Why "auto" did not get the native helper, for the start-up log. */
  warning?: string
}

const OFF: SpawnHelperChoice = { kind: 'off', helper: undefined, streamsThroughHelper: false }

/**
 * Throws ConfigError (naming `setting`) when "native" is asked for and not usable: a setting that
 * cannot work stops start-up.
 */
export function chooseSpawnHelper(
  mode: SpawnHelperMode,
  runtime: RuntimeKey,
  setting = 'exec.spawn_helper'
): SpawnHelperChoice {
  if (mode === 'off') return OFF
  const problem = mode === 'node' ? undefined : nativeHelperProblem()
  if (mode === 'native') {
    if (problem) throw new ConfigError([{ source: setting, message: problem }])
    return { kind: 'native', helper: createNativeHelper(), streamsThroughHelper: true }
  }
  if (runtime === 'bun') {
    // "auto" on Bun: the native helper for buffered runs when it is built, else none (posix_spawn).
    if (mode !== 'auto' || problem) return OFF
    return { kind: 'native', helper: createNativeHelper(), streamsThroughHelper: false }
  }
  if (runtime !== 'node') return OFF
  if (mode === 'node') return { kind: 'node', helper: createNodeHelper(), streamsThroughHelper: false }
  if (!problem) return { kind: 'native', helper: createNativeHelper(), streamsThroughHelper: true }
  return {
    kind: 'node',
    helper: createNodeHelper(),
    streamsThroughHelper: false,
    warning: `${problem}; using the Node spawn helper`,
  }
}
