/** @module Runs Debian's wrk (installing it when missing) and reads req/s, latency and errors from its report. */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'

export interface WrkFigures {
  rps: number
  /** Milliseconds. */
  p50: number
  p99: number
  requests: number
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number
}

export interface WrkOptions {
  url: string
  headers: Record<string, string>
  connections: number
  threads: number
  seconds: number
}

/** Installs wrk from Debian when it is not on PATH. */
export function ensureWrk(): string {
  let probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  if (probe.error) {
    process.stderr.write('wrk not found; installing it from Debian\n')
    execFileSync('sh', ['-c', 'apt-get update && apt-get install -y wrk'], { stdio: 'inherit' })
    probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' })
  }
  return `${probe.stdout}${probe.stderr}`.split('\n')[0]?.trim() ?? 'wrk'
}

function millis(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '')
  if (!match) return Number.NaN
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000 }
  return Number(match[1]) * (scale[match[2] ?? 'ms'] ?? 1)
}

/** The wrk run in progress, so an exit path can stop it. */
let current: ChildProcess | undefined

export function stopWrk(): void {
  current?.kill('SIGKILL')
}

/** Runs wrk without blocking the event loop, so signals and the time budget act at once. */
export async function wrk(options: WrkOptions): Promise<WrkFigures> {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.seconds}s`, '--latency']
  for (const [name, value] of Object.entries(options.headers)) args.push('-H', `${name}: ${value}`)
  args.push(options.url)
  const child = spawn('wrk', args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: (options.seconds + 30) * 1_000,
  })
  current = child
  let output = ''
  let errors = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    errors += chunk.toString()
  })
  const status = await new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'))
  )
  current = undefined
  if (status !== 0) throw new Error(`wrk failed (${status}): ${errors}`)
  const latency = (p: string) => millis(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1])
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0),
    p50: latency('50'),
    p99: latency('99'),
    requests: Number(/(\d+) requests in/.exec(output)?.[1] ?? 0),
    errors: non2xx + (socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0),
  }
}
