/**
 * @module One engine process: its own process group, output to a log file, readiness polled
 * against a deadline, stopped as a group. A safety net kills every group still running when
 * this Node process exits, so an aborted test run leaves no JVM behind.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs'
import { lastLines } from './commands.ts'

export interface EngineProcessOptions {
  /** Shown in messages: "Conductor (memory)", "Keycloak". */
  name: string
  command: string
  args: string[]
  logFile: string
  cwd?: string
  env?: Record<string, string>
  /** Polite stop signal for the group; PostgreSQL wants SIGINT (fast shutdown). */
  stopSignal?: NodeJS.Signals
  /** A temporary folder owned by this engine, removed once it has stopped (also by the safety net). */
  scratchDir?: string
}

export interface EngineProcess {
  name: string
  pid: number
  logFile: string
  /** The last lines of the log, for error messages. */
  tail(lines?: number): string
  /** Whether the group leader is still running. */
  running(): boolean
  /** Signals the group, escalates to SIGKILL after a grace period, waits until the group is gone. */
  stop(): Promise<void>
}

/** Groups still running and their scratch folders, for the exit safety net. */
const live = new Map<number, string | undefined>()
let safetyNetInstalled = false

export function spawnEngine(options: EngineProcessOptions): EngineProcess {
  installSafetyNet()
  const log = openSync(options.logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', log, log],
    })
  } finally {
    closeSync(log)
  }
  const pid = child.pid
  if (pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`)
  live.set(pid, options.scratchDir)
  let ended = false
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      ended = true
      resolve()
    })
    child.on('error', () => {
      ended = true
      resolve()
    })
  })
  const tail = (lines = 60): string => {
    try {
      return lastLines(readFileSync(options.logFile, 'utf8'), lines)
    } catch {
      return '(no log)'
    }
  }
  return {
    name: options.name,
    pid,
    logFile: options.logFile,
    tail,
    running: () => !ended,
    async stop() {
      signalGroup(pid, options.stopSignal ?? 'SIGTERM')
      const killer = setTimeout(() => signalGroup(pid, 'SIGKILL'), 8_000)
      await exited
      clearTimeout(killer)
      // Members of the group (postgres back-ends, a JVM under kc.sh) may outlive the leader briefly.
      for (let i = 0; i < 50 && groupAlive(pid); i++) await sleep(100)
      if (groupAlive(pid)) signalGroup(pid, 'SIGKILL')
      live.delete(pid)
      if (options.scratchDir) rmSync(options.scratchDir, { recursive: true, force: true })
    },
  }
}

export interface ReadyOptions {
  /** Resolves true once the engine serves requests; errors count as "not yet". */
  probe: () => Promise<boolean>
  timeoutMs: number
  intervalMs?: number
}

/** Polls until the probe passes; on deadline or early exit stops the engine and throws with its log tail. */
export async function waitUntilReady(engine: EngineProcess, options: ReadyOptions): Promise<void> {
  const started = Date.now()
  while (Date.now() - started < options.timeoutMs) {
    if (!engine.running()) {
      await engine.stop()
      throw new Error(`${engine.name} exited during start-up (log ${engine.logFile}):\n${engine.tail()}`)
    }
    if (await options.probe().catch(() => false)) return
    await sleep(options.intervalMs ?? 500)
  }
  await engine.stop()
  throw new Error(
    `${engine.name} did not become ready within ${options.timeoutMs / 1000}s (log ${engine.logFile}):\n${engine.tail()}`
  )
}

/** A GET that counts as ready when it answers 200; each try has its own short deadline. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => {
    const response = await fetch(url, { signal: AbortSignal.timeout(3_000) })
    await response.body?.cancel()
    return response.status === 200
  }
}

function installSafetyNet(): void {
  if (safetyNetInstalled) return
  safetyNetInstalled = true
  process.on('exit', () => {
    for (const [pid, scratchDir] of live) {
      signalGroup(pid, 'SIGKILL')
      if (scratchDir) rmSync(scratchDir, { recursive: true, force: true })
    }
  })
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is already gone
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return true
  } catch {
    return false
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
