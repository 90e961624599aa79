/**
 * @module Which spawn helper exec.spawn_helper selects. Node needs one (its spawn forks the large
 * server process). Bun and Deno spawn with posix_spawn; on Bun the native helper ran `true` faster
 * in most bench/exec runs but 1 MiB captures and streams no better, so there it is opt-in.
 */
import type { SpawnHelperMode } from '../../config/sections/exec.ts'
import { ConfigError } from '../../config/sources.ts'
import type { RuntimeKey } from '../../env.ts'
import { createHelperSpawner, type HelperSpawner } from './helper-spawner.ts'
import { createNativeSpawner, nativeHelperProblem } from './native-spawner.ts'

export interface SpawnHelperChoice {
  kind: 'native' | 'node' | 'off'
  helper: HelperSpawner | undefined
  /** Why "auto" did not get the native helper, for the start-up log. */
  warning?: string
}

/** Throws ConfigError when "native" is asked for and not usable: a setting that cannot work stops start-up. */
export function chooseSpawnHelper(mode: SpawnHelperMode, runtime: RuntimeKey): SpawnHelperChoice {
  if (mode === 'off') return { kind: 'off', helper: undefined }
  // Elsewhere only the native helper, and only when asked for by name.
  if (runtime !== 'node' && mode !== 'native') return { kind: 'off', helper: undefined }
  if (mode === 'node') return { kind: 'node', helper: createHelperSpawner() }
  const problem = nativeHelperProblem()
  if (!problem) return { kind: 'native', helper: createNativeSpawner() }
  if (mode === 'native') throw new ConfigError([{ source: 'exec.spawn_helper', message: problem }])
  return { kind: 'node', helper: createHelperSpawner(), warning: `${problem}; using the Node spawn helper` }
}
