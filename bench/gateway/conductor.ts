/**
 * @module bench/gateway/conductor: the peers of bench/gateway/run.ts measured through a real
 * Conductor OSS server (in-memory persistence, started from the test/engines cache) instead of the
 * minimal upstream: a pass-through read (`GET /api/metadata/taskdefs`) and the tenant-rewritten
 * list of 200 workflow definitions registered in Conductor. Prints Markdown for
 * docs/PERFORMANCE.md. Everything stays on 127.0.0.1.
 *   node bench/gateway/conductor.ts [--duration 10] [--warmup 5] [--rounds 2] [--connections 32] [--threads 2]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startConductor } from '../../test/engines/conductor.ts'
import { installEngines } from '../../test/engines/install.ts'
import { CONDUCTOR_VERSION } from '../../test/engines/versions.ts'
import { BIN } from '../../test/integration/processes.ts'
import { DEFINITIONS, LIST_BODY, LIST_PATH, TENANT } from './definitions.ts'
import { IDENTITY, killAll, memoryMb, type Peer, startBare, startFlowgate, startOriginal } from './peers.ts'
import { ensureWrk, stopWrk, type WrkFigures, wrk } from './wrk.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    threads: { type: 'string', default: '2' },
  },
})
const seconds = Number(values.duration)
const warmup = Number(values.warmup)
const rounds = Number(values.rounds)
const connections = Number(values.connections)
const threads = Number(values.threads)

/** The pass-through read: Conductor's task definitions (the four this script registers). */
const PASS = '/api/metadata/taskdefs'
const TASKS = [`${TENANT}___fetch`, `${TENANT}___transform`, 'GLOBAL___notify', `${TENANT}___store`]

type Scenario = 'pass' | 'list'
interface Target {
  peer: Peer
  scenario: Scenario
  rss: boolean
  runs: WrkFigures[]
}
interface Row extends WrkFigures {
  peer: string
  scenario: Scenario
  rssMb?: number
  rewrites: boolean
  perRound: number[]
}

let stopConductor: (() => Promise<void>) | undefined
// Bounded in time: 10 targets, each warmed up once and measured once per round, plus Conductor's
// start (up to 240 s) and slack. test/engines SIGKILLs Conductor's group on exit.
const budgetMs = (10 * (rounds * seconds + warmup) + 420) * 1_000
const deadline = setTimeout(() => {
  process.stderr.write('bench/gateway/conductor: time budget exceeded; stopping everything\n')
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

const say = (line: string) => process.stderr.write(`${line}\n`)

async function conductorCall(base: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`)
}

/** The task definitions and the 200 workflow definitions of bench/gateway/definitions.ts, in Conductor. */
async function register(base: string): Promise<void> {
  const taskDefs = TASKS.map((name) => ({
    name,
    ownerEmail: 'bench@example.com',
    retryCount: 0,
    timeoutSeconds: 60,
    responseTimeoutSeconds: 30,
    timeoutPolicy: 'TIME_OUT_WF',
  }))
  await conductorCall(base, 'POST', '/api/metadata/taskdefs', taskDefs)
  const defs = (JSON.parse(LIST_BODY.toString()) as Array<Record<string, unknown>>).map(
    ({ createTime: _c, updatedBy: _u, ...def }) => def
  )
  await conductorCall(base, 'PUT', '/api/metadata/workflow', defs)
}

/** Conductor itself as a peer (its pid is not needed: no RSS is read for it). */
function direct(base: string): Peer {
  return {
    name: 'direct (Conductor)',
    pid: 0,
    pass: `${base}${PASS}`,
    list: `${base}${LIST_PATH}`,
    rewrites: false,
    stop: async () => {},
  }
}

/** The peers of peers.ts, with the pass-through pointed at the task definitions. */
function withPass(peer: Peer): Peer {
  return { ...peer, pass: `${new URL(peer.pass).origin}${PASS}` }
}

/** One request first: the peer answers what the scenario expects, or the figures would mean nothing. */
async function verify(peer: Peer, scenario: Scenario): Promise<void> {
  const response = await fetch(scenario === 'pass' ? peer.pass : peer.list, { headers: IDENTITY })
  const text = await response.text()
  const fail = (why: string) => {
    throw new Error(`${peer.name} ${scenario}: ${why} (status ${response.status}): ${text.slice(0, 300)}`)
  }
  if (response.status !== 200) fail('not 200')
  const items = JSON.parse(text) as Array<{ name: string; tasks?: Array<{ name: string }> }>
  if (!Array.isArray(items)) fail('not a list')
  if (scenario === 'pass') {
    for (const name of TASKS) if (!items.some((item) => item.name === name)) fail(`no task ${name}`)
    return
  }
  if (items.length !== DEFINITIONS) fail(`expected ${DEFINITIONS} definitions, got ${items.length}`)
  const [wf, task] = peer.rewrites ? ['wf0', 'fetch'] : [`${TENANT}___wf0`, `${TENANT}___fetch`]
  const first = items.find((item) => item.name === wf)
  if (!first) fail(`no ${wf}`)
  if (first?.tasks?.[0]?.name !== task) fail(`${wf}: first task not ${task}`)
}

const load = (target: Target, duration: number) =>
  wrk({
    url: target.scenario === 'pass' ? target.peer.pass : target.peer.list,
    headers: IDENTITY,
    connections,
    threads,
    seconds: duration,
  })

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
  const check = (label: string, value: number, goal: number) =>
    `| ${label} | ${fmt(value, 2)}× | ≥ ${goal}× | ${value >= goal ? 'met' : 'missed'} |`
  const shipped = rows.filter((r) => r.peer === 'flowgate (node)' || r.peer === 'flowgate (bun)')
  const maxRss = Math.max(...shipped.map((r) => r.rssMb ?? 0))
  const ratio = (a: string, b: string, scenario: Scenario) => rps(a, scenario) / rps(b, scenario)
  return [
    '| goal | measured | target | |',
    '|---|---:|---:|---|',
    check('pass-through, flowgate (node) / original', ratio('flowgate (node)', 'original', 'pass'), 1.5),
    check('pass-through, flowgate (node) / bare proxy', ratio('flowgate (node)', 'bare', 'pass'), 0.6),
    check('pass-through, flowgate (bun) / bare proxy', ratio('flowgate (bun)', 'bare', 'pass'), 2),
    check('list rewrite, flowgate (node) / original', ratio('flowgate (node)', 'original', 'list'), 3),
    check('list rewrite, flowgate (bun) / original', ratio('flowgate (bun)', 'original', 'list'), 3),
    `| peak RSS under load, flowgate (node and bun) | ${fmt(maxRss)} MB | ≤ 150 MB | ${maxRss <= 150 ? 'met' : 'missed'} |`,
  ].join('\n')
}

function machine(wrkVersion: string): string {
  const cpu = cpus()
  const version = (bin: string) => execFileSync(join(BIN, bin), ['--version'], { encoding: 'utf8' }).trim()
  // java -version writes to stderr.
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? ''
  return [
    `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}`,
    `${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM`,
    `Linux ${release()}`,
    `Node ${version('node')}`,
    `Bun ${version('bun')}`,
    `Conductor OSS ${CONDUCTOR_VERSION} (in-memory persistence, JIT unrestricted, -Xmx1g, SerialGC)`,
    java.split('\n')[0]?.trim() || 'Java ?',
    wrkVersion,
  ].join(', ')
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim()

const wrkVersion = ensureWrk()
const started = new Date()
const uptimeBefore = uptime()
const peers: Peer[] = []
const targets: Target[] = []
const rows: Row[] = []
let conductorStarted = 0
try {
  await installEngines(say)
  const t0 = Date.now()
  const conductor = await startConductor({ persistence: 'memory', quickStart: false })
  stopConductor = () => conductor.stop()
  conductorStarted = (Date.now() - t0) / 1000
  say(`Conductor at ${conductor.url} after ${conductorStarted.toFixed(0)} s (log ${conductor.logFile})`)
  await register(conductor.url)
  const upstream = direct(conductor.url)
  for (const scenario of ['pass', 'list'] as const) {
    await verify(upstream, scenario)
    targets.push({ peer: upstream, scenario, rss: false, runs: [] })
  }
  const starters = [
    () => startOriginal(conductor.url),
    () => startBare(conductor.url),
    () => startFlowgate('node', conductor.url),
    () => startFlowgate('bun', conductor.url),
  ]
  for (const start of starters) {
    for (const scenario of ['pass', 'list'] as const) {
      const started = await start()
      peers.push(started)
      const peer = withPass(started)
      await verify(peer, scenario)
      targets.push({ peer, scenario, rss: true, runs: [] })
    }
  }
  for (const target of targets) if (warmup > 0) await load(target, warmup)
  for (let round = 1; round <= rounds; round++) {
    for (const target of targets) {
      const figures = await load(target, seconds)
      target.runs.push(figures)
      say(
        `round ${round} ${target.peer.name} ${target.scenario}: ${figures.rps} req/s, p50 ${figures.p50} ms, p99 ${figures.p99} ms, errors ${figures.errors}, load ${loadavg()[0]?.toFixed(1)}`
      )
    }
  }
} finally {
  rows.push(...targets.filter((t) => t.runs.length > 0).map(summary))
  for (const peer of peers.reverse()) await peer.stop()
  await stopConductor?.()
}
const uptimeAfter = uptime()

const command = `npm run bench:gateway:conductor -- --duration ${seconds} --warmup ${warmup} --rounds ${rounds} --connections ${connections} --threads ${threads}`
process.stdout.write(
  [
    `Run ${started.toISOString()} · \`${command}\``,
    `Machine: ${machine(wrkVersion)}`,
    `Load: wrk -t${threads} -c${connections} -d${seconds}s --latency, ${rounds} interleaved rounds after a ${warmup} s warm-up each; medians over the rounds; identity headers of an acme admin; Conductor started in ${conductorStarted.toFixed(0)} s with ${DEFINITIONS} workflow definitions and ${TASKS.length} task definitions registered.`,
    `uptime before: \`${uptimeBefore}\``,
    `uptime after: \`${uptimeAfter}\``,
    '',
    `#### Pass-through (\`GET ${PASS}\`)`,
    '',
    table(rows, 'pass'),
    '',
    '#### Tenant-rewritten list of 200 workflow definitions',
    '',
    table(rows, 'list'),
    '',
    '#### Goals',
    '',
    goals(rows),
    '',
  ].join('\n')
)
