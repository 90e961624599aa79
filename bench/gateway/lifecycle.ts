/**
 * @module What both gateway benchmarks (run.ts, conductor.ts) do before measuring: read the wrk
 * options, and make sure wrk and every started peer stop on exit, on SIGINT/SIGTERM and when a
 * time budget runs out, whatever happens in between.
 */
import { parseArgs } from 'node:util'
import { killAll } from './peers.ts'
import { stopWrk } from './wrk.ts'

export interface BenchOptions {
  seconds: number
  warmup: number
  rounds: number
  connections: number
  threads: number
}

/** `--duration --warmup --rounds --connections --threads`, with the script's own defaults. */
export function benchOptions(defaults: { warmup: number; rounds: number }): BenchOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: String(defaults.warmup) },
      rounds: { type: 'string', default: String(defaults.rounds) },
      connections: { type: 'string', default: '32' },
      threads: { type: 'string', default: '2' },
    },
  })
  return {
    seconds: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    threads: Number(values.threads),
  }
}

/** Stops wrk and every peer's process group on exit and on signals, and exits 1 after budgetMs. */
export function stopEverythingAtEnd(name: string, budgetMs: number): void {
  const stop = () => {
    stopWrk()
    killAll()
  }
  const deadline = setTimeout(() => {
    process.stderr.write(`${name}: time budget exceeded; stopping everything\n`)
    stop()
    process.exit(1)
  }, budgetMs)
  deadline.unref()
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      stop()
      process.exit(130)
    })
  }
  process.on('exit', stop)
}
