/**
 * @module How a child process is started, behind one small interface: directly with
 * `child_process.spawn`, or through a spawn helper (node-helper.ts, native-helper.ts). All put the
 * child in its own process group, so the caller can signal the group by pid either way.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { signalGroup } from './group.ts'

export type StreamName = 'stdout' | 'stderr'

export interface SpawnRequest {
  file: string
  argv0: string
  args: readonly string[]
  env: Readonly<Record<string, string>>
  cwd: string
  stdin: Uint8Array | undefined
  capture: Readonly<Record<StreamName, boolean>>
  /**
   * Captured streams the caller would like as JSON string text (onText). A spawner that cannot do
   * that (or events without onText) delivers them raw through onData, as always.
   */
  text?: Readonly<Record<StreamName, boolean>> | undefined
  /**
   * Cap per captured stream; undefined = no cap (streaming mode). Past it the spawner stops
   * reading, so output is never read (or, in the helper, queued) much faster than it is used.
   */
  maxOutputBytes?: number | undefined
  /** run-as.ts: Node (libuv) calls setgroups(0), setgid, setuid in the child before exec. */
  uid?: number | undefined
  gid?: number | undefined
}

export interface SpawnEvents {
  /**
   * The process exists (its pid), told synchronously by the spawner that started it, before the
   * event loop runs again — earlier than onSpawn, which Node reports on a later tick, by when the
   * command may have run for a while.
   */
  onStarted?(pid: number): void
  onSpawn(pid: number): void
  /** Before onSpawn: could not start. After: the process handle failed. */
  onError(error: Error): void
  onData(stream: StreamName, chunk: Buffer): void
  /**
   * Output of a stream asked for as text: `escaped` holds the bytes read, up to the cap, escaped
   * as the inside of a JSON string (as JSON.stringify escapes them); `bytesRead` counts the bytes
   * read, including any past the cap. Output comes in frames, each escaped on its own; a frame may
   * arrive in pieces: `frameLength` (the frame's escaped bytes) and `bytesRead` come with its first
   * piece, 0 with later ones. Cutting the text between frames never splits an escape sequence.
   */
  onText?(stream: StreamName, escaped: Buffer, bytesRead: number, frameLength: number): void
  /** Exit code or signal, once the process has exited and its pipes are closed. */
  onClose(code: number | null, signal: NodeJS.Signals | null): void
}

export interface SpawnControl {
  pause(): void
  resume(): void
  /** Stops reading output for good (the cap was reached): a command still writing gets SIGPIPE. */
  discard(): void
}

export type Spawner = (request: SpawnRequest, events: SpawnEvents) => SpawnControl

/** Spawns from this process: no shell, a new process group, stdin from the request or /dev/null. */
export const directSpawner: Spawner = (request, events) => {
  let child: ChildProcess
  try {
    child = spawn(request.file, [...request.args], {
      argv0: request.argv0,
      cwd: request.cwd,
      env: { ...request.env },
      detached: true,
      shell: false,
      windowsHide: true,
      ...(request.uid !== undefined ? { uid: request.uid } : {}),
      ...(request.gid !== undefined ? { gid: request.gid } : {}),
      stdio: [
        request.stdin ? 'pipe' : 'ignore',
        request.capture.stdout ? 'pipe' : 'ignore',
        request.capture.stderr ? 'pipe' : 'ignore',
      ],
    })
  } catch (error) {
    // Node throws (rather than emitting 'error') for E2BIG, ENOMEM and others: report it the
    // same way, so the run fails cleanly instead of never starting (and the helper survives).
    process.nextTick(() => events.onError(error instanceof Error ? error : new Error(String(error))))
    return { pause: () => {}, resume: () => {}, discard: () => {} }
  }
  if (child.pid !== undefined) events.onStarted?.(child.pid)
  child.once('spawn', () => events.onSpawn(child.pid ?? 0))
  child.once('error', (error) => events.onError(error))
  const discard = () => {
    child.stdout?.destroy()
    child.stderr?.destroy()
  }
  const read: Record<StreamName, number> = { stdout: 0, stderr: 0 }
  const forward = (name: StreamName) => (chunk: Buffer) => {
    read[name] += chunk.byteLength
    events.onData(name, chunk)
    // The run is over once a stream passes its cap (the caller truncates and kills the group):
    // SIGTERM first, so the command ends by the signal rather than by the EPIPE that follows.
    if (request.maxOutputBytes !== undefined && read[name] > request.maxOutputBytes) {
      signalGroup(child.pid, 'SIGTERM')
      discard()
    }
  }
  child.stdout?.on('data', forward('stdout'))
  child.stderr?.on('data', forward('stderr'))
  if (child.stdin && request.stdin) {
    // A command that exits without reading its input is fine (EPIPE), as in httpexec.
    child.stdin.on('error', () => {})
    child.stdin.end(request.stdin)
  }
  // Grandchildren left in the group would hold the pipes open: the run is over for them too.
  child.once('exit', () => signalGroup(child.pid, 'SIGKILL'))
  child.once('close', (code, signal) => events.onClose(code, signal))
  return {
    pause: () => {
      child.stdout?.pause()
      child.stderr?.pause()
    },
    resume: () => {
      child.stdout?.resume()
      child.stderr?.resume()
    },
    discard,
  }
}
