/**
 * @module How a command process is started, behind one small interface: directly with
 * `child_process.spawn`, or through the spawn helper (helper-spawner.ts). Both put the command in
 * its own process group, so the caller can signal the group by pid either way.
 */
import { spawn } from 'node:child_process'

export type StreamName = 'stdout' | 'stderr'

export interface SpawnRequest {
  file: string
  argv0: string
  args: readonly string[]
  env: Readonly<Record<string, string>>
  cwd: string
  stdin: Uint8Array | undefined
  capture: Readonly<Record<StreamName, boolean>>
}

export interface SpawnEvents {
  onSpawn(pid: number): void
  /** Before onSpawn: could not start. After: the process handle failed. */
  onError(error: Error): void
  onData(stream: StreamName, chunk: Buffer): void
  /** Exit code or signal, once the process has exited and its pipes are closed. */
  onClose(code: number | null, signal: NodeJS.Signals | null): void
}

export interface SpawnControl {
  pause(): void
  resume(): void
}

export type Spawner = (request: SpawnRequest, events: SpawnEvents) => SpawnControl

export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/** Spawns from this process: no shell, a new process group, stdin from the request or /dev/null. */
export const directSpawner: Spawner = (request, events) => {
  const child = spawn(request.file, [...request.args], {
    argv0: request.argv0,
    cwd: request.cwd,
    env: { ...request.env },
    detached: true,
    shell: false,
    windowsHide: true,
    stdio: [
      request.stdin ? 'pipe' : 'ignore',
      request.capture.stdout ? 'pipe' : 'ignore',
      request.capture.stderr ? 'pipe' : 'ignore',
    ],
  })
  child.once('spawn', () => events.onSpawn(child.pid ?? 0))
  child.once('error', (error) => events.onError(error))
  child.stdout?.on('data', (chunk: Buffer) => events.onData('stdout', chunk))
  child.stderr?.on('data', (chunk: Buffer) => events.onData('stderr', chunk))
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
  }
}
