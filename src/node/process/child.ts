/**
 * @module Long-lived children (a warm interpreter, a language server, a plugin process) with stdio
 * pipes, under the guarantees one-shot runs have: their own process group, the environment the
 * caller built (clean-env.ts), optional run-as, the group killed (SIGTERM, then SIGKILL after a
 * grace) on stop, timeout, output flood and shutdown (registry.ts), and a spawn helper watching the
 * group so that it dies with flowgate, even when flowgate is SIGKILLed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { PassThrough, type Readable, Transform, type Writable } from 'node:stream'
import { signalGroup, terminateGroup } from './group.ts'
import type { GroupWatcher } from './helper-runs.ts'
import type { ProcessRegistry } from './registry.ts'
import type { RunAs } from './run-as.ts'

/** Why a child ended: on its own, or which guard or caller ended it. */
export type ChildEndReason = 'exited' | 'stopped' | 'killed' | 'timeout' | 'flood' | 'failed'

export interface ChildExit {
  /** Exit code, or null when a signal ended it (or it never started). */
  code: number | null
  signal: NodeJS.Signals | null
  reason: ChildEndReason
  /** Why it could not start (reason "failed"), with Node's errno `code`. */
  error?: Error
}

export interface ChildOptions {
  file: string
  args?: readonly string[]
  /** argv[0]; the file by default. */
  argv0?: string
  /** The whole environment: nothing of flowgate's own is added (build it with cleanEnv). */
  env: Readonly<Record<string, string>>
  cwd: string
  runAs?: RunAs | undefined
  /**
   * A spawn helper's watcher (HelperSpawner.watcher): it kills the group if flowgate dies, even by
   * SIGKILL. Without one, the child outlives a flowgate that is killed without a chance to stop it.
   */
  watcher?: GroupWatcher | undefined
  /** Tracked until it ends, so shutdown (ProcessRegistry.closeAll) kills its group. */
  registry?: ProcessRegistry | undefined
  /** Between SIGTERM and SIGKILL; 2000 ms by default. */
  killGraceMs?: number
  /** The whole life: past it the group is killed (reason "timeout"). */
  timeoutMs?: number
  /**
   * Output (stdout and stderr together) read within one second past which the group is killed
   * (reason "flood"). Unread output needs no cap: the pipes are not read while the reader lags.
   */
  maxOutputBytesPerSecond?: number
  /** stderr piped (default) or sent to /dev/null. */
  stderr?: 'pipe' | 'ignore'
}

export interface ChildHandle {
  /** Leads the child's process group; undefined when it could not be started. */
  readonly pid: number | undefined
  stdin: Writable
  /** Readable with backpressure: a reader that stops reading pauses the child's pipe. */
  stdout: Readable
  stderr: Readable | undefined
  /** Settles once the child has exited (never rejects: a failed start is reason "failed"). */
  exited: Promise<ChildExit>
  /** The same promise, for the registry. */
  done: Promise<ChildExit>
  /** Ends the group (SIGTERM, then SIGKILL after the grace); resolves as `exited` does. */
  stop(): Promise<ChildExit>
  /** As stop, without waiting (reason "killed"): what shutdown calls. */
  kill(): void
}

export const DEFAULT_KILL_GRACE_MS = 2000

/** Calls `onFlood` once more than `limit` bytes pass within one second. */
function floodMeter(limit: number | undefined, onFlood: () => void): (bytes: number) => void {
  if (limit === undefined) return () => {}
  let windowStart = Number.NEGATIVE_INFINITY
  let inWindow = 0
  return (bytes) => {
    const now = performance.now()
    if (now - windowStart >= 1000) {
      windowStart = now
      inWindow = 0
    }
    inWindow += bytes
    if (inWindow > limit) onFlood()
  }
}

/** Passes a pipe's output on, counting it; piped, so the reader's backpressure reaches the pipe. */
function metered(source: Readable, count: (bytes: number) => void): Transform {
  const output = new Transform({
    transform(chunk: Buffer, _encoding, next) {
      count(chunk.byteLength)
      next(null, chunk)
    },
  })
  source.pipe(output)
  return output
}

function failedHandle(error: Error): ChildHandle {
  const exit: ChildExit = { code: null, signal: null, reason: 'failed', error }
  const exited = Promise.resolve(exit)
  const stdout = new PassThrough()
  stdout.end()
  return {
    pid: undefined,
    stdin: new PassThrough(),
    stdout,
    stderr: undefined,
    exited,
    done: exited,
    stop: () => exited,
    kill: () => {},
  }
}

/** Starts a long-lived child; never throws (a child that cannot start ends with reason "failed"). */
export function startChild(options: ChildOptions): ChildHandle {
  let child: ChildProcess
  try {
    child = spawn(options.file, [...(options.args ?? [])], {
      argv0: options.argv0 ?? options.file,
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      shell: false,
      windowsHide: true,
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
      stdio: ['pipe', 'pipe', options.stderr === 'ignore' ? 'ignore' : 'pipe'],
    })
  } catch (error) {
    // Node throws rather than emitting 'error' for E2BIG, ENOMEM and others.
    return failedHandle(error instanceof Error ? error : new Error(String(error)))
  }
  const pid = child.pid
  // At once, not at 'spawn': a flowgate killed in between would leave the group unwatched.
  if (pid !== undefined) options.watcher?.watch(pid)
  const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  let reason: ChildEndReason | undefined
  let over = false
  let killTimer: NodeJS.Timeout | undefined
  let lifeTimer: NodeJS.Timeout | undefined
  let settle: (exit: ChildExit) => void = () => {}
  const exited = new Promise<ChildExit>((resolve) => {
    settle = resolve
  })

  const end = (why: ChildEndReason) => {
    if (over) return
    reason ??= why
    if (pid === undefined || killTimer) return
    killTimer = terminateGroup(pid, grace)
  }
  const finish = (exit: ChildExit) => {
    if (over) return
    over = true
    clearTimeout(killTimer)
    clearTimeout(lifeTimer)
    if (pid !== undefined) options.watcher?.unwatch(pid)
    settle(exit)
  }

  const stdout = metered(child.stdout as Readable, (bytes) => count(bytes))
  const stderr = child.stderr ? metered(child.stderr, (bytes) => count(bytes)) : undefined
  const count = floodMeter(options.maxOutputBytesPerSecond, () => {
    end('flood')
    // Read no more: a child that ignores SIGTERM cannot go on flooding until the SIGKILL.
    for (const [pipe, output] of [
      [child.stdout, stdout],
      [child.stderr, stderr],
    ] as const) {
      pipe?.unpipe()
      pipe?.destroy()
      output?.end()
    }
  })
  // A child that exits without reading its input is fine (EPIPE); the caller may listen too.
  child.stdin?.on('error', () => {})

  child.once('error', (error) => {
    // Before 'spawn' it never started; later, the handle failed and the group must go anyway.
    if (pid !== undefined) signalGroup(pid, 'SIGKILL')
    finish({ code: null, signal: null, reason: 'failed', error })
  })
  child.once('exit', (code, signal) => {
    // Grandchildren left in the group would hold the pipes open: the child's life is theirs.
    signalGroup(pid, 'SIGKILL')
    finish({ code, signal, reason: reason ?? 'exited' })
  })
  if (options.timeoutMs !== undefined) {
    lifeTimer = setTimeout(() => end('timeout'), options.timeoutMs)
    lifeTimer.unref()
  }
  const handle: ChildHandle = {
    pid,
    stdin: child.stdin as Writable,
    stdout,
    stderr,
    exited,
    done: exited,
    stop: () => {
      end('stopped')
      return exited
    },
    kill: () => end('killed'),
  }
  options.registry?.track(handle)
  return handle
}
