/**
 * @module bench/gateway: req/s, p50/p99 latency and peak RSS of the original's stack (express +
 * http-proxy), a bare node:http proxy and flowgate on Node and Bun, in front of one minimal
 * upstream, for a pass-through and the tenant-rewritten 200-definition list, measured with wrk
 * in one run. Prints Markdown for docs/PERFORMANCE.md. Everything stays on 127.0.0.1.
 *   node bench/gateway/run.ts [--duration 10] [--warmup 3] [--connections 32] [--threads 2]
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BIN } from '../../test/integration/processes.ts'
import { DEFINITIONS, LIST_BODY, SMALL_BODY } from './definitions.ts'
import {
  IDENTITY,
  killAll,
  memoryMb,
  type Peer,
  startBare,
  startFlowgate,
  startOriginal,
  startUpstream,
} from './peers.ts'
import { ensureWrk, stopWrk, type WrkFigures, wrk } from './wrk.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
  },
})
const seconds = Number(values.duration)
const warmup = Number(values.warmup)
const rounds = Number(values.rounds)
const connections = Number(values.connections)
const threads = Number(values.threads)

type Scenario = 'pass' | 'list'
interface Row extends WrkFigures {
  peer: string
  scenario: Scenario
  rssMb?: number
  rewrites: boolean
  /** req/s of each round, in order. */
  perRound: number[]
}

// Bounded in time whatever happens: 12 measurements per round plus one warm-up each, with slack.
const budgetMs = (12 * (rounds * seconds + warmup) + 300) * 1_000
const deadline = setTimeout(() => {
  process.stderr.write('bench/gateway: time budget exceeded; stopping everything\n')
  stopWrk()
  killAll()
  process.exit(1)
}, budgetMs)
deadline.unref()
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopWrk()
    killAll()
    process.exit(130)
  })
}
process.on('exit', () => {
  stopWrk()
  killAll()
})

/** One request first: the peer answers what the scenario expects, or the figures would mean nothing. */
async function verify(peer: Peer, scenario: Scenario): Promise<void> {
  const response = await fetch(scenario === 'pass' ? peer.pass : peer.list, { headers: IDENTITY })
  const text = await response.text()
  const fail = (why: string) => {
    throw new Error(`${peer.name} ${scenario}: ${why} (status ${response.status}): ${text.slice(0, 200)}`)
  }
  if (response.status !== 200) fail('not 200')
  if (scenario === 'pass') {
    if (text !== SMALL_BODY.toString()) fail('unexpected body')
    return
  }
  const defs = JSON.parse(text) as Array<{ name: string; tasks: Array<{ name: string }> }>
  if (defs.length !== DEFINITIONS) fail(`expected ${DEFINITIONS} definitions`)
  const expected = peer.rewrites ? ['wf0', 'fetch'] : ['acme___wf0', 'acme___fetch']
  if (defs[0]?.name !== expected[0] || defs[0]?.tasks[0]?.name !== expected[1]) fail('unexpected names')
}

interface Target {
  peer: Peer
  scenario: Scenario
  rss: boolean
  runs: WrkFigures[]
}

function load(target: Target, duration: number): Promise<WrkFigures> {
  const { peer, scenario } = target
  return wrk({
    url: scenario === 'pass' ? peer.pass : peer.list,
    headers: IDENTITY,
    connections,
    threads,
    seconds: duration,
  })
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

function summary(target: Target): Row {
  const { peer, scenario, runs } = target
  const row: Row = {
    peer: peer.name,
    scenario,
    rewrites: peer.rewrites,
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    perRound: runs.map((r) => Math.round(r.rps)),
  }
  if (target.rss) row.rssMb = memoryMb(peer.pid, 'VmHWM')
  return row
}

function machine(wrkVersion: string): string {
  const cpu = cpus()
  const version = (bin: string) => execFileSync(join(BIN, bin), ['--version'], { encoding: 'utf8' }).trim()
  return [
    `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    `${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM`,
    `Linux ${release()}`,
    `Node ${version('node')}`,
    `Bun ${version('bun')}`,
    wrkVersion,
  ].join(', ')
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '?')

function table(rows: Row[], scenario: Scenario): string {
  const of = (name: string) => rows.find((r) => r.scenario === scenario && r.peer.startsWith(name))
  const original = of('original')?.rps ?? Number.NaN
  const bare = of('bare')?.rps ?? Number.NaN
  const lines = [
    '| peer | req/s | × original | × bare proxy | p50 ms | p99 ms | peak RSS MB | errors | req/s per round |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ]
  for (const row of rows.filter((r) => r.scenario === scenario)) {
    const note = scenario === 'list' && !row.rewrites ? ' (no rewrite)' : ''
    lines.push(
      `| ${row.peer}${note} | ${fmt(row.rps)} | ${fmt(row.rps / original, 2)} | ${fmt(row.rps / bare, 2)} | ${fmt(row.p50, 2)} | ${fmt(row.p99, 2)} | ${row.rssMb === undefined ? '—' : fmt(row.rssMb)} | ${row.errors} | ${row.perRound.join(' / ')} |`
    )
  }
  return lines.join('\n')
}

function goals(rows: Row[]): string {
  const rps = (peer: string, scenario: Scenario) =>
    rows.find((r) => r.scenario === scenario && r.peer.startsWith(peer))?.rps ?? Number.NaN
  const check = (label: string, value: number, goal: number, unit = '×') =>
    `| ${label} | ${fmt(value, 2)}${unit} | ≥ ${goal}${unit} | ${value >= goal ? 'met' : 'missed'} |`
  const shipped = rows.filter((r) => r.peer === 'flowgate (node)' || r.peer === 'flowgate (bun)')
  const maxRss = Math.max(...shipped.map((r) => r.rssMb ?? 0))
  return [
    '| goal | measured | target | |',
    '|---|---:|---:|---|',
    check(
      'pass-through, flowgate (node) / original',
      rps('flowgate (node)', 'pass') / rps('original', 'pass'),
      1.5
    ),
    check(
      'pass-through, flowgate (node) / bare proxy',
      rps('flowgate (node)', 'pass') / rps('bare', 'pass'),
      0.6
    ),
    check(
      'pass-through, flowgate (bun) / bare proxy',
      rps('flowgate (bun)', 'pass') / rps('bare', 'pass'),
      2
    ),
    check(
      'list rewrite, flowgate (node) / original',
      rps('flowgate (node)', 'list') / rps('original', 'list'),
      3
    ),
    check(
      'list rewrite, flowgate (bun) / original',
      rps('flowgate (bun)', 'list') / rps('original', 'list'),
      3
    ),
    `| peak RSS under load, flowgate (node and bun) | ${fmt(maxRss)} MB | ≤ 150 MB | ${maxRss <= 150 ? 'met' : 'missed'} |`,
    `| (the forwarder) pass-through, flowgate (node) / the same with platform fetch | ${fmt(rps('flowgate (node)', 'pass') / rps('flowgate (node, platform', 'pass'), 2)}× | — | |`,
  ].join('\n')
}

const wrkVersion = ensureWrk()
const started = new Date()
const loadBefore = loadavg()
const peers: Peer[] = []
const targets: Target[] = []
const rows: Row[] = []
try {
  const upstream = await startUpstream()
  peers.push(upstream)
  const origin = new URL(upstream.pass).origin
  for (const scenario of ['pass', 'list'] as const)
    targets.push({ peer: upstream, scenario, rss: false, runs: [] })
  const starters = [
    () => startOriginal(origin),
    () => startBare(origin),
    () => startFlowgate('node', origin),
    () => startFlowgate('node-platform-fetch', origin),
    () => startFlowgate('bun', origin),
  ]
  // One process per peer and scenario, so each VmHWM is the peak of that scenario alone; all of
  // them idle while another is measured, and the rounds interleave so background load on the
  // machine falls on every peer alike.
  for (const start of starters) {
    for (const scenario of ['pass', 'list'] as const) {
      const peer = await start()
      peers.push(peer)
      await verify(peer, scenario)
      targets.push({ peer, scenario, rss: true, runs: [] })
    }
  }
  for (const target of targets) if (warmup > 0) await load(target, warmup)
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      const figures = await load(target, seconds)
      target.runs.push(figures)
      process.stderr.write(
        `round ${round} ${target.peer.name} ${target.scenario}: ${figures.rps} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, load ${loadavg()[0]?.toFixed(1)}\n`
      )
    }
  }
} finally {
  // VmHWM is read before the processes stop.
  rows.push(...targets.filter((t) => t.runs.length > 0).map(summary))
  for (const peer of peers.reverse()) await peer.stop()
}
const loadAfter = loadavg()

const command = `npm run bench:gateway -- --duration ${seconds} --warmup ${warmup} --rounds ${rounds} --connections ${connections} --threads ${threads}`
process.stdout.write(
  [
    `Run ${started.toISOString()} · \`${command}\``,
    `Machine: ${machine(wrkVersion)}`,
    `Load: wrk -t${threads} -c${connections} -d${seconds}s --latency, ${rounds} interleaved rounds after a ${warmup} s warm-up each; figures are medians over the rounds; identity headers of an acme admin; upstream answers ${SMALL_BODY.byteLength} B (pass-through) and ${(LIST_BODY.byteLength / 1024).toFixed(0)} KiB (${DEFINITIONS} definitions). Machine load average (1 min) ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after.`,
    '',
    '### Pass-through',
    '',
    table(rows, 'pass'),
    '',
    '### Tenant-rewritten list of 200 workflow definitions',
    '',
    table(rows, 'list'),
    '',
    '### Goals',
    '',
    goals(rows),
    '',
  ].join('\n')
)
