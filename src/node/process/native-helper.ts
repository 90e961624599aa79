/**
 * @module A Spawner over the native spawn helper (native/spawn-helper.c): one small C process,
 * started on first use and again if it dies, that forks, execs, reads the pipes and reaps for
 * flowgate, talking over its stdin/stdout (native-frames.ts). Output has backpressure end to end
 * (pause stops the helper reading that pipe), so streaming runs go through it too.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { extname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deliver, failRunsOf, groupWatcher, type HelperRun, watchedDirectSpawner } from './helper-runs.ts'
import { type ControlRequest, EventParser, encodeControl, encodeRun } from './native-frames.ts'
import type { HelperSpawner } from './node-helper.ts'
import type { Spawner } from './spawner.ts'

/** The checkout: three levels above src/node/process, four above its compiled copy in dist/js. */
const ROOT = new URL(extname(import.meta.url) === '.js' ? '../../../../' : '../../../', import.meta.url)

/** Where `npm install` (scripts/build-native.ts) puts the helper. */
export const NATIVE_HELPER = fileURLToPath(new URL('native/build/flowgate-spawn-helper', ROOT))

const SOURCE = fileURLToPath(new URL('native/spawn-helper.c', ROOT))

/** Why the helper cannot be used (missing, or older than its source), or undefined. */
export function nativeHelperProblem(path = NATIVE_HELPER): string | undefined {
  const fix = 'run: node scripts/build-native.ts'
  if (!existsSync(path)) return `the native spawn helper is not built (${path}); ${fix}`
  // A checkout that changed the source without a new `npm install` must not talk an old protocol.
  if (existsSync(SOURCE) && statSync(SOURCE).mtimeMs > statSync(path).mtimeMs) {
    return `the native spawn helper is older than ${SOURCE}; ${fix}`
  }
  return undefined
}

/** Throws when the helper binary is missing or stale (nativeHelperProblem). */
export function createNativeHelper(path = NATIVE_HELPER): HelperSpawner {
  const problem = nativeHelperProblem(path)
  if (problem) throw new Error(problem)
  let helper: ChildProcess | undefined
  let nextId = 1
  const runs = new Map<number, HelperRun>()
  /** Groups started directly that a (re)started helper must watch. */
  const watched = new Set<number>()

  const ensure = (): ChildProcess => {
    if (helper) return helper
    const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'] })
    const parser = new EventParser((event) => deliver(runs, event))
    child.stdout?.on('data', (chunk: Buffer) => parser.push(chunk))
    // Writes after the helper died fail with EPIPE; its exit fails the runs.
    child.stdin?.on('error', () => {})
    // A helper that dies takes no command with it: their groups are killed and the runs fail,
    // once its output is read to the end ('close', not 'exit'), so events it did send count.
    let failed = false
    const forget = () => {
      if (helper === child) helper = undefined
    }
    const failRuns = () => {
      forget()
      if (failed) return
      failed = true
      failRunsOf(runs, child)
    }
    child.once('exit', forget)
    child.once('close', failRuns)
    child.on('error', failRuns)
    // The helper must not keep flowgate alive by itself; runs hold their own timers.
    child.unref()
    for (const stream of [child.stdout, child.stdin]) (stream as { unref?: () => void } | null)?.unref?.()
    helper = child
    for (const pid of watched) child.stdin?.write(encodeControl('watch', pid))
    return child
  }

  // Frames written in one turn of the event loop leave in one system call (writev) at its end.
  let corked: ChildProcess | undefined
  const write = (child: ChildProcess, frame: Buffer) => {
    const stdin = child.stdin
    if (!stdin || child.exitCode !== null || child.signalCode !== null) return
    if (corked !== child) {
      corked = child
      stdin.cork()
      setImmediate(() => {
        corked = undefined
        stdin.uncork()
      })
    }
    stdin.write(frame)
  }

  const spawner: Spawner = (request, events) => {
    const id = nextId++
    if (nextId > 0xffff_ffff) nextId = 1
    // Throws RangeError for an oversized request: runCommand reports it as a failed start.
    const text = {
      stdout: Boolean(events.onText && request.capture.stdout && request.text?.stdout),
      stderr: Boolean(events.onText && request.capture.stderr && request.text?.stderr),
    }
    const frame = encodeRun(id, request, text)
    const child = ensure()
    runs.set(id, { events, helper: child })
    write(child, frame)
    const control = (type: ControlRequest) => () => {
      if (runs.has(id)) write(child, encodeControl(type, id))
    }
    return { pause: control('pause'), resume: control('resume'), discard: control('discard') }
  }

  const watcher = groupWatcher(watched, (what, pid) => {
    // Watching (re)starts the helper; an unwatch needs none if it is gone.
    if (what === 'watch') write(ensure(), encodeControl('watch', pid))
    else if (helper) write(helper, encodeControl('unwatch', pid))
  })

  const stop = async () => {
    const child = helper
    if (!child) return
    const exited = new Promise((resolve) => child.once('close', resolve))
    // Held now, so the event loop waits for the helper to be gone before it may end.
    child.ref()
    ;(child.stdout as { ref?: () => void } | null)?.ref?.()
    // EOF on its stdin: the helper kills what is left and exits.
    child.stdin?.end()
    await exited
  }
  return { spawner, watchedDirect: watchedDirectSpawner(watcher), watcher, start: () => void ensure(), stop }
}
