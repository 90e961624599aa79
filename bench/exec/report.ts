/**
 * @module What bench/exec prints: one row per server and command (medians over the interleaved
 * rounds, with each round's requests/s), the streaming rows, and the command-execution issue's
 * goals computed from the medians of the same run.
 */
import { fmt, median } from '../gateway/report.ts'

/** One wrk measurement. */
export interface Figure {
  rps: number
  /** Latency in milliseconds (NaN when wrk printed none). */
  p50: number
  p99: number
  errors: number
  /** The server's CPU time (its helper included) per request, in µs; NaN when not known. */
  cpuUs: number
}

/** A server and command measured in every round. */
export interface Measured {
  server: string
  command: string
  runs: Figure[]
}

export interface Streamed {
  server: string
  mib: number
  seconds: number
  /** RSS before any stream (before the warm-up stream). */
  idleMb: number
  /** RSS right before the measured stream. */
  beforeMb: number
  peakMb: number
}

/**
 * Median requests/s of a server (by name prefix) and command; NaN when it was not measured, and
 * when any round had errors or no figure (wrk counts non-2xx answers as requests too).
 */
function rpsOf(rows: Measured[], server: string, command: string): number {
  const row = rows.find((r) => r.command === command && r.server.startsWith(server))
  if (!row || row.runs.some((r) => r.errors > 0 || !(r.rps > 0))) return Number.NaN
  return median(row.runs.map((r) => r.rps))
}

export function table(rows: Measured[]): string {
  const lines = [
    '| server | command | requests/s | p50 ms | p99 ms | non-2xx / socket errors | requests/s per round | server CPU µs/request |',
    '|---|---|---:|---:|---:|---:|---|---:|',
  ]
  for (const row of rows) {
    const { runs } = row
    lines.push(
      `| ${row.server} | ${row.command} | ${fmt(median(runs.map((r) => r.rps)))} | ${fmt(median(runs.map((r) => r.p50)), 2)} | ${fmt(median(runs.map((r) => r.p99)), 2)} | ${runs.reduce((sum, r) => sum + r.errors, 0)} | ${runs.map((r) => fmt(r.rps)).join(' / ')} | ${fmt(median(runs.map((r) => r.cpuUs)))} |`
    )
  }
  return lines.join('\n')
}

export function streamTable(streams: Streamed[]): string {
  return [
    '| streaming (NDJSON, base64) | output | time | RSS before | RSS peak | growth | RSS idle before any stream | growth from there |',
    '|---|---|---|---|---|---|---|---|',
    ...streams.map(
      (s) =>
        `| ${s.server} | ${s.mib} MiB | ${s.seconds.toFixed(1)} s | ${fmt(s.beforeMb)} MB | ${fmt(s.peakMb)} MB | ${fmt(s.peakMb - s.beforeMb)} MB | ${fmt(s.idleMb)} MB | ${fmt(s.peakMb - s.idleMb)} MB |`
    ),
  ].join('\n')
}

/** Names of the servers the goals speak of, as servers.ts names them. */
const NODE = 'flowgate (node, native helper)'
const BUN = 'flowgate (bun, auto)'

/** The goals, for the servers of this run (a goal whose servers were not run is left out). */
export function goals(rows: Measured[], streams: Streamed[]): string {
  const lines = ['| goal | measured | target | |', '|---|---:|---:|---|']
  const measured = (server: string, command: string) =>
    rows.some((r) => r.command === command && r.server.startsWith(server))
  const check = (label: string, a: string, b: string, command: string, goal: number) => {
    if (!measured(a, command) || !measured(b, command)) return
    const value = rpsOf(rows, a, command) / rpsOf(rows, b, command)
    const verdict = Number.isFinite(value) ? (value >= goal ? 'met' : 'missed') : 'no valid figure (errors)'
    lines.push(`| ${label}, \`${command}\` | ${fmt(value, 2)}× | ≥ ${goal}× | ${verdict} |`)
  }
  for (const command of ['true', 'mib']) {
    check('Node / httpexec', NODE, 'httpexec', command, 2)
    check('Node / webhook', NODE, 'webhook', command, 0.7)
    check('Bun / httpexec', BUN, 'httpexec', command, 2)
    check('Bun / webhook', BUN, 'webhook', command, 1)
  }
  for (const s of streams.filter((s) => s.server === NODE || s.server === BUN)) {
    // Both readings: during the measured stream (after the warm-up one), and from the RSS the
    // server had idle before any stream (Bun's own streaming working set included).
    for (const [how, growth] of [
      ['during the stream', s.peakMb - s.beforeMb],
      ['from idle before any stream', s.peakMb - s.idleMb],
    ] as const) {
      lines.push(
        `| RSS growth streaming ${s.mib} MiB, ${s.server}, ${how} | ${fmt(growth)} MB | < 64 MB | ${growth < 64 ? 'met' : 'missed'} |`
      )
    }
  }
  return lines.join('\n')
}
