/**
 * @module A Spawner that starts commands through the spawn helper process (spawn-helper.ts), started
 * on first use and again if it dies. Kills stay direct: the caller signals the command's process
 * group by pid, which works from any process of the same user.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { HelperEvent, HelperRequest } from './spawn-helper.ts'
import { type SpawnEvents, type Spawner, signalGroup } from './spawner.ts'

const HELPER = fileURLToPath(new URL('./spawn-helper.ts', import.meta.url))

export interface HelperSpawner {
  spawner: Spawner
  /** Ends the helper (after runs are over). */
  stop(): Promise<void>
}

export function createHelperSpawner(): HelperSpawner {
  let helper: ChildProcess | undefined
  let nextId = 1
  const runs = new Map<number, { events: SpawnEvents; helper: ChildProcess; pid?: number }>()

  const ensure = (): ChildProcess => {
    if (helper?.connected) return helper
    const child = spawn(process.execPath, [HELPER], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    })
    child.on('message', (event: HelperEvent) => {
      const run = runs.get(event.id)
      if (!run) return
      if (event.t === 'spawn') {
        run.pid = event.pid
        run.events.onSpawn(event.pid)
      } else if (event.t === 'data') {
        const { chunk } = event
        run.events.onData(event.stream, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      } else if (event.t === 'close') {
        runs.delete(event.id)
        run.events.onClose(event.code, event.signal)
      } else {
        runs.delete(event.id)
        run.events.onError(Object.assign(new Error(event.message), { code: event.code }))
      }
    })
    // A helper that dies takes no command with it: their groups are killed and the runs fail.
    const failRuns = () => {
      if (helper === child) helper = undefined
      for (const [id, run] of runs) {
        if (run.helper !== child) continue
        signalGroup(run.pid, 'SIGKILL')
        runs.delete(id)
        run.events.onError(new Error('the spawn helper exited'))
      }
    }
    child.once('exit', failRuns)
    // Could not start, or a send on a closed channel: either way its runs are over.
    child.on('error', failRuns)
    helper = child
    return child
  }

  const spawner: Spawner = (request, events) => {
    const id = nextId++
    const child = ensure()
    runs.set(id, { events, helper: child })
    const send = (message: HelperRequest) => {
      if (child.connected) child.send(message)
    }
    send({
      t: 'run',
      id,
      file: request.file,
      argv0: request.argv0,
      args: [...request.args],
      env: { ...request.env },
      cwd: request.cwd,
      stdin: request.stdin,
      capture: { ...request.capture },
    })
    return {
      pause: () => send({ t: 'pause', id }),
      resume: () => send({ t: 'resume', id }),
    }
  }

  const stop = async () => {
    const child = helper
    if (!child?.connected) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.disconnect()
    await exited
  }
  return { spawner, stop }
}
