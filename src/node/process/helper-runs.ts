/**
 * @module What both spawn helpers' clients (node-helper.ts for the Node helper,
 * native-helper.ts for the native one) do alike: deliver a helper's events to its runs, fail the
 * runs of a helper that died, and spawn streaming runs directly while the helper watches their
 * process groups.
 */
import type { ChildProcess } from 'node:child_process'
import { signalGroup } from './group.ts'
import type { HelperEvent } from './helper-events.ts'
import { directSpawner, type SpawnEvents, type Spawner } from './spawner.ts'

export interface HelperRun {
  events: SpawnEvents
  helper: ChildProcess
  pid?: number
}

/** Hands one helper event to the run it belongs to; a run is forgotten once it closed or failed. */
export function deliver(runs: Map<number, HelperRun>, event: HelperEvent): void {
  const run = runs.get(event.id)
  if (!run) return
  if (event.type === 'spawn') {
    run.pid = event.pid
    run.events.onSpawn(event.pid)
  } else if (event.type === 'data') {
    const { chunk } = event
    // The native parser hands over Buffers; IPC a Uint8Array, viewed as a Buffer without a copy.
    const buffer = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    run.events.onData(event.stream, buffer)
  } else if (event.type === 'text') {
    run.events.onText?.(event.stream, event.escaped, event.bytesRead, event.frameLength)
  } else if (event.type === 'close') {
    runs.delete(event.id)
    run.events.onClose(event.code, event.signal)
  } else if (event.type === 'error') {
    runs.delete(event.id)
    run.events.onError(Object.assign(new Error(event.message), { code: event.code }))
  }
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

/** Has a spawn helper watch a group flowgate started itself: killed too if flowgate goes away. */
export interface GroupWatcher {
  watch(pid: number): void
  unwatch(pid: number): void
}

/**
 * A GroupWatcher over a helper's `watched` set, which a (re)started helper is told again; `tell`
 * passes one watch or unwatch on to the helper.
 */
export function groupWatcher(
  watched: Set<number>,
  tell: (what: 'watch' | 'unwatch', pid: number) => void
): GroupWatcher {
  return {
    watch: (pid) => {
      watched.add(pid)
      tell('watch', pid)
    },
    unwatch: (pid) => {
      if (watched.delete(pid)) tell('unwatch', pid)
    },
  }
}

/**
 * Spawns from flowgate itself while the helper watches each group: if flowgate dies, even by
 * SIGKILL, the helper kills the group.
 */
export function watchedDirectSpawner(watcher: GroupWatcher): Spawner {
  return (request, events) => {
    let pid: number | undefined
    const unwatch = () => {
      if (pid !== undefined) watcher.unwatch(pid)
    }
    return directSpawner(request, {
      ...events,
      // At once, not at onSpawn: a flowgate killed in between would leave the group unwatched.
      onStarted: (started) => {
        pid = started
        watcher.watch(started)
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
