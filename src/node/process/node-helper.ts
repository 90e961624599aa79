/**
 * @module A Spawner that starts children through the Node spawn helper process
 * (node-helper-main.ts), started on first use and again if it dies. Kills stay direct: the caller signals the command's process
 * group by pid, which works from any process of the same user.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { HelperEvent } from './helper-events.ts'
import {
  deliver,
  failRunsOf,
  type GroupWatcher,
  groupWatcher,
  type HelperRun,
  watchedDirectSpawner,
} from './helper-runs.ts'
import type { HelperRequest } from './node-helper-main.ts'
import type { Spawner } from './spawner.ts'

// node-helper-main.ts beside this file, or node-helper-main.js when running compiled from dist/js.
const HELPER = fileURLToPath(new URL(`./node-helper-main${extname(import.meta.url)}`, import.meta.url))

export interface HelperSpawner {
  spawner: Spawner
  /**
   * Spawns directly from flowgate (streaming needs the pipes' backpressure, which IPC lacks) but
   * has the helper watch the group: if flowgate dies, even by SIGKILL, the helper kills it.
   */
  watchedDirect: Spawner
  /**
   * Has the helper watch a group flowgate started itself (long-lived children, child.ts): if
   * flowgate dies, even by SIGKILL, the helper kills it. Watching (re)starts the helper.
   */
  watcher: GroupWatcher
  /** Starts the helper now rather than on first use, so it already watches the first stream. */
  start(): void
  /** Ends the helper (after runs are over). */
  stop(): Promise<void>
}

export function createNodeHelper(): HelperSpawner {
  let helper: ChildProcess | undefined
  let nextId = 1
  const runs = new Map<number, HelperRun>()
  /** Groups started directly that a (re)started helper must watch. */
  const watched = new Set<number>()

  const ensure = (): ChildProcess => {
    if (helper?.connected) return helper
    const child = spawn(process.execPath, [HELPER], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    child.on('message', (event: HelperEvent) => deliver(runs, event))
    // A helper that dies takes no command with it: their groups are killed and the runs fail.
    const failRuns = () => {
      if (helper === child) helper = undefined
      failRunsOf(runs, child)
    }
    child.once('exit', failRuns)
    // Could not start, or a send on a closed channel: either way its runs are over.
    child.on('error', failRuns)
    helper = child
    for (const pid of watched) child.send({ type: 'watch', pid } satisfies HelperRequest)
    return child
  }

  const tell = (message: HelperRequest) => {
    const child = ensure()
    if (child.connected) child.send(message)
  }

  const watcher = groupWatcher(watched, (what, pid) => {
    // Watching (re)starts the helper; an unwatch needs none if it is gone.
    if (what === 'watch') tell({ type: 'watch', pid })
    else if (helper?.connected) helper.send({ type: 'unwatch', pid } satisfies HelperRequest)
  })

  const spawner: Spawner = (request, events) => {
    const id = nextId++
    const child = ensure()
    runs.set(id, { events, helper: child })
    const send = (message: HelperRequest) => {
      if (child.connected) child.send(message)
    }
    send({
      type: 'run',
      id,
      file: request.file,
      argv0: request.argv0,
      args: [...request.args],
      env: { ...request.env },
      cwd: request.cwd,
      stdin: request.stdin,
      capture: { ...request.capture },
      maxOutputBytes: request.maxOutputBytes,
      uid: request.uid,
      gid: request.gid,
    })
    return {
      pause: () => send({ type: 'pause', id }),
      resume: () => send({ type: 'resume', id }),
      discard: () => send({ type: 'discard', id }),
    }
  }

  const stop = async () => {
    const child = helper
    if (!child?.connected) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.disconnect()
    await exited
  }
  return { spawner, watchedDirect: watchedDirectSpawner(watcher), watcher, start: () => void ensure(), stop }
}
