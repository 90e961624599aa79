/**
 * @module What both spawn helpers' clients (node-helper.ts for the Node helper,
 * native-helper.ts for the native one) do alike: fail the runs of a helper that died, and spawn
 * streaming runs directly while the helper watches their process groups.
 */
import type { ChildProcess } from 'node:child_process'
import { signalGroup } from './group.ts'
import { directSpawner, type SpawnEvents, type Spawner } from './spawner.ts'

export interface HelperRun {
  events: SpawnEvents
  helper: ChildProcess
  pid?: number
}

/** A helper that dies takes no command with it: its runs' groups are killed and the runs fail. */
export function failRunsOf(runs: Map<number, HelperRun>, child: ChildProcess): void {
  for (const [id, run] of runs) {
    if (run.helper !== child) continue
    signalGroup(run.pid, 'SIGKILL')
    runs.delete(id)
    run.events.onError(new Error('the spawn helper exited'))
  }
}

/**
 * Spawns from flowgate itself, adding each group to `watched` (and telling the helper) while it
 * runs: if flowgate dies, even by SIGKILL, the helper kills the group.
 */
export function watchedDirectSpawner(
  watched: Set<number>,
  tell: (what: 'watch' | 'unwatch', pid: number) => void
): Spawner {
  return (request, events) => {
    let pid: number | undefined
    const unwatch = () => {
      if (pid === undefined || !watched.delete(pid)) return
      tell('unwatch', pid)
    }
    return directSpawner(request, {
      ...events,
      // At once, not at onSpawn: a flowgate killed in between would leave the group unwatched.
      onStarted: (started) => {
        pid = started
        watched.add(started)
        tell('watch', started)
        events.onStarted?.(started)
      },
      onError: (error) => {
        unwatch()
        events.onError(error)
      },
      onClose: (code, signal) => {
        unwatch()
        events.onClose(code, signal)
      },
    })
  }
}
