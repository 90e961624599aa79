/** @module Real processes for integration tests: own process group, free loopback ports, clean stop. */
import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '..', '..')
export const BIN = join(ROOT, 'node_modules', '.bin')

/** A port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/** Whether nothing listens on 127.0.0.1:port right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.unref()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

export interface Running {
  child: ChildProcess
  url: string
  /** Everything the process printed so far. */
  output(): string
  /** Resolves with the exit code (or signal) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Signals the whole process group and waits for the leader to exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export interface StartOptions {
  args?: string[]
  env?: Record<string, string>
  port: number
  /** Path polled until it answers 200. */
  readyPath?: string
  timeoutMs?: number
}

/** Starts `command` in its own process group and waits until it serves readyPath. */
export async function startServer(command: string, options: StartOptions): Promise<Running> {
  const child = spawn(command, options.args ?? [], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PATH: `${BIN}:${process.env.PATH ?? ''}`,
      WRANGLER_SEND_METRICS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      NO_COLOR: '1',
      ...options.env,
    },
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  const url = `http://127.0.0.1:${options.port}`
  const running: Running = {
    child,
    url,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null && child.pid) {
        try {
          process.kill(-child.pid, signal)
        } catch {
          // already gone
        }
      }
      const killer = setTimeout(() => {
        if (child.pid) {
          try {
            process.kill(-child.pid, 'SIGKILL')
          } catch {
            // already gone
          }
        }
      }, 15_000)
      const result = await exited
      clearTimeout(killer)
      // Children of a wrapper (wrangler → workerd) may outlive the leader for a moment.
      const pid = child.pid ?? 0
      for (let i = 0; i < 50 && !groupGone(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100))
      if (!groupGone(pid)) process.kill(-pid, 'SIGKILL')
      return result
    },
  }
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  let ended = false
  void exited.then(() => {
    ended = true
  })
  while (Date.now() < deadline && !ended) {
    try {
      const response = await fetch(`${url}${options.readyPath ?? '/healthz'}`, {
        signal: AbortSignal.timeout(2_000),
      })
      if (response.status === 200) return running
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await running.stop('SIGKILL')
  throw new Error(`${command} did not serve ${options.readyPath ?? '/healthz'} on ${url}:\n${output}`)
}

/** The process group is gone: no member answers signal 0. */
export function groupGone(pid: number): boolean {
  try {
    process.kill(-pid, 0)
    return false
  } catch {
    return true
  }
}

export interface ProcessEntry {
  pid: number
  ppid: number
  pgid: number
  state: string
  comm: string
  /** CPU clock ticks used so far, user plus system (utime + stime). */
  ticks: number
}

/** Every process in /proc (one that ends while listed is left out; none off Linux). */
export function processTable(): ProcessEntry[] {
  const table: ProcessEntry[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return table
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
      const fields = stat.slice(close + 2).split(' ')
      table.push({
        pid: Number(entry),
        ppid: Number(fields[1]),
        pgid: Number(fields[2]),
        state: fields[0] ?? '',
        comm: stat.slice(stat.indexOf('(') + 1, close),
        ticks: Number(fields[11]) + Number(fields[12]),
      })
    } catch {
      // gone meanwhile
    }
  }
  return table
}

/** Every process below `pid` (children, their children, ...) in `table`. */
export function descendants(pid: number, table: readonly ProcessEntry[] = processTable()): ProcessEntry[] {
  const below = (parent: number): ProcessEntry[] =>
    table.filter((p) => p.ppid === parent).flatMap((p) => [p, ...below(p.pid)])
  return below(pid)
}
