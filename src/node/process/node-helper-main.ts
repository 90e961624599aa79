/**
 * @module The Node spawn helper: a small child process that starts children for flowgate over IPC.
 * Node's spawn uses fork(), whose cost grows with the size of the forking process; forking from
 * this small process instead of the large server is several times faster (docs/PERFORMANCE.md).
 * It ignores SIGTERM/SIGINT (flowgate decides when runs end) and, when flowgate goes away, kills
 * every group it started, and those flowgate started itself and asked it to watch, then exits.
 * Run only by node-helper.ts.
 */
import { signalGroup } from './group.ts'
import type { HelperEvent } from './helper-events.ts'
import { directSpawner, type SpawnControl, type SpawnRequest } from './spawner.ts'

export type HelperRequest =
  | ({ type: 'run'; id: number } & SpawnRequest)
  | { type: 'pause'; id: number }
  | { type: 'resume'; id: number }
  | { type: 'discard'; id: number }
  /** A group flowgate started itself (streaming, long-lived children): killed too if flowgate goes away. */
  | { type: 'watch'; pid: number }
  | { type: 'unwatch'; pid: number }

const runs = new Map<number, { control: SpawnControl; pid?: number }>()
const watched = new Set<number>()

function send(event: HelperEvent): void {
  if (process.connected) process.send?.(event)
}

function start(request: HelperRequest & { type: 'run' }): void {
  const { id } = request
  const run: { control: SpawnControl; pid?: number } = {
    control: directSpawner(request, {
      onSpawn: (pid) => {
        run.pid = pid
        send({ type: 'spawn', id, pid })
      },
      onError: (error) => {
        runs.delete(id)
        const code = (error as NodeJS.ErrnoException).code
        send({ type: 'error', id, message: error.message, ...(code ? { code } : {}) })
      },
      onData: (stream, chunk) => send({ type: 'data', id, stream, chunk }),
      onClose: (code, signal) => {
        runs.delete(id)
        send({ type: 'close', id, code, signal })
      },
    }),
  }
  runs.set(id, run)
}

if (process.send) {
  process.on('SIGTERM', () => {})
  process.on('SIGINT', () => {})
  process.on('message', (message: HelperRequest) => {
    if (message.type === 'run') start(message)
    else if (message.type === 'pause') runs.get(message.id)?.control.pause()
    else if (message.type === 'resume') runs.get(message.id)?.control.resume()
    else if (message.type === 'discard') runs.get(message.id)?.control.discard()
    else if (message.type === 'watch') watched.add(message.pid)
    else if (message.type === 'unwatch') watched.delete(message.pid)
  })
  process.on('disconnect', () => {
    for (const run of runs.values()) signalGroup(run.pid, 'SIGKILL')
    for (const pid of watched) signalGroup(pid, 'SIGKILL')
    process.exit(0)
  })
}
