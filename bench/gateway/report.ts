/**
 * @module What both gateway benchmarks (run.ts, conductor.ts) share: a measured target, wrk load,
 * medians over rounds, and the Markdown they print (tables, goals of the gateway issue, machine).
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { BIN } from '../../test/integration/processes.ts'
import { cpuMeter } from '../cpu-time.ts'
import { CHANGING } from './definitions.ts'
import type { BenchOptions } from './lifecycle.ts'
import { IDENTITY, memoryMb, type Peer } from './peers.ts'
import { type WrkFigures, wrk } from './wrk.ts'

/** pass-through; the list as the engine keeps answering it; the list changing on every call. */
export type Scenario = 'pass' | 'list' | 'fresh'

/** One round: wrk's figures and the peer's CPU µs per request (NaN when not known). */
export type Measurement = WrkFigures & { cpuUs: number }

export interface Target {
  peer: Peer
  scenario: Scenario
  rss: boolean
  runs: Measurement[]
}

export interface Row extends Measurement {
  peer: string
  scenario: Scenario
  rssMb?: number
  rewrites: boolean
  /** req/s of each round, in order. */
  perRound: number[]
}

/** One wrk measurement of a target, as an acme admin. */
export function load(
  target: Target,
  duration: number,
  options: { connections: number; threads: number }
): Promise<WrkFigures> {
  return wrk({
    url: target.scenario === 'pass' ? target.peer.pass : target.peer.list,
    headers: target.scenario === 'fresh' ? { ...IDENTITY, ...CHANGING } : IDENTITY,
    connections: options.connections,
    threads: options.threads,
    seconds: duration,
  })
}

/**
 * Warms every target up once, then measures them all in interleaved rounds (so background load
 * on the machine falls on every peer alike), printing each measurement to stderr.
 */
export async function measureRounds(targets: Target[], options: BenchOptions): Promise<void> {
  const { seconds, warmup, rounds, connections, threads } = options
  for (const target of targets) if (warmup > 0) await load(target, warmup, { connections, threads })
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      const cpu = cpuMeter(target.peer.pid)
      const wrkFigures = await load(target, seconds, { connections, threads })
      const figures = { ...wrkFigures, cpuUs: cpu(wrkFigures.requests) }
      target.runs.push(figures)
      process.stderr.write(
        `round ${round} ${target.peer.name} ${target.scenario}: ${figures.rps} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, errors ${figures.errors}, load ${loadavg()[0]?.toFixed(1)}\n`
      )
    }
  }
}

/** The median of some figures (NaN for none). */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** The medians of a target's rounds, with its peak RSS when it was sampled. */
export function summary(target: Target): Row {
  const { peer, scenario, runs } = target
  const row: Row = {
    peer: peer.name,
    scenario,
    rewrites: peer.rewrites,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    cpuUs: median(runs.map((r) => r.cpuUs)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    perRound: runs.map((r) => Math.round(r.rps)),
  }
  if (target.rss) row.rssMb = memoryMb(peer.pid, 'VmHWM')
  return row
}

/** A figure with `digits` decimals, `?` when there is none. */
export const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '?')

export function table(rows: Row[], scenario: Scenario): string {
  const of = (name: string) => rows.find((r) => r.scenario === scenario && r.peer.startsWith(name))
  const original = of('original')?.rps ?? Number.NaN
  const bare = of('bare')?.rps ?? Number.NaN
  const lines = [
    '| peer | req/s | × original | × bare proxy | p50 ms | p99 ms | peak RSS MB | errors | req/s per round | CPU µs/request |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ]
  for (const row of rows.filter((r) => r.scenario === scenario)) {
    const note = scenario !== 'pass' && !row.rewrites ? ' (no rewrite)' : ''
    lines.push(
      `| ${row.peer}${note} | ${fmt(row.rps)} | ${fmt(row.rps / original, 2)} | ${fmt(row.rps / bare, 2)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${row.rssMb === undefined ? '—' : fmt(row.rssMb)} | ${row.errors} | ${row.perRound.join(' / ')} | ${fmt(row.cpuUs)} |`
    )
  }
  return lines.join('\n')
}

/** The gateway issue's goals against the rows (plus the reference peers' ratios when measured). */
export function goals(rows: Row[]): string {
  const rps = (peer: string, scenario: Scenario) =>
    rows.find((r) => r.scenario === scenario && r.peer.startsWith(peer))?.rps ?? Number.NaN
  const ratio = (a: string, b: string, scenario: Scenario) => rps(a, scenario) / rps(b, scenario)
  const check = (label: string, value: number, goal: number) =>
    `| ${label} | ${fmt(value, 2)}× | ≥ ${goal}× | ${value >= goal ? 'met' : 'missed'} |`
  const shipped = rows.filter((r) => r.peer === 'flowgate (node)' || r.peer === 'flowgate (bun)')
  const maxRss = Math.max(...shipped.map((r) => r.rssMb ?? 0))
  const lines = [
    '| goal | measured | target | |',
    '|---|---:|---:|---|',
    check('pass-through, flowgate (node) / original', ratio('flowgate (node)', 'original', 'pass'), 1.5),
    check('pass-through, flowgate (node) / bare proxy', ratio('flowgate (node)', 'bare', 'pass'), 0.6),
    check('pass-through, flowgate (bun) / bare proxy', ratio('flowgate (bun)', 'bare', 'pass'), 2),
    check('list rewrite, flowgate (node) / original', ratio('flowgate (node)', 'original', 'list'), 3),
    check('list rewrite, flowgate (bun) / original', ratio('flowgate (bun)', 'original', 'list'), 3),
    ...(rows.some((r) => r.scenario === 'fresh')
      ? [
          `| (no goal) list changing on every call, flowgate (node) / original | ${fmt(ratio('flowgate (node)', 'original', 'fresh'), 2)}× | — | |`,
          `| (no goal) list changing on every call, flowgate (bun) / original | ${fmt(ratio('flowgate (bun)', 'original', 'fresh'), 2)}× | — | |`,
        ]
      : []),
    `| peak RSS under load, flowgate (node and bun) | ${fmt(maxRss)} MB | ≤ 150 MB | ${maxRss <= 150 ? 'met' : 'missed'} |`,
  ]
  for (const minimal of ['minimal Hono (node)', 'minimal Hono + fetch (bun)']) {
    if (!rows.some((r) => r.peer === minimal)) continue
    lines.push(
      `| (no goal) pass-through, ${minimal} / bare proxy | ${fmt(ratio(minimal, 'bare', 'pass'), 2)}× | — | |`
    )
  }
  return lines.join('\n')
}

/** CPU, memory, kernel, runtimes and wrk, plus what a benchmark adds (`extra`) before wrk. */
export function machine(wrkVersion: string, extra: string[] = []): string {
  const cpu = cpus()
  const version = (bin: string) => execFileSync(join(BIN, bin), ['--version'], { encoding: 'utf8' }).trim()
  return [
    `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    `${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM`,
    `Linux ${release()}`,
    `Node ${version('node')}`,
    `Bun ${version('bun')}`,
    ...extra,
    wrkVersion,
  ].join(', ')
}
