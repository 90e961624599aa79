/**
 * @module bench/gateway/conductor: the peers of bench/gateway/run.ts measured through a real
 * Conductor OSS server (in-memory persistence, started from the test/engines cache) instead of the
 * minimal upstream: a pass-through read (`GET /api/metadata/taskdefs`) and the tenant-rewritten
 * list of 200 workflow definitions registered in Conductor. Prints Markdown for
 * docs/PERFORMANCE.md. Everything stays on 127.0.0.1.
 *   node bench/gateway/conductor.ts [--duration 10] [--warmup 5] [--rounds 2] [--connections 32] [--threads 2]
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { startConductor } from '../../test/engines/conductor.ts'
import { installEngines } from '../../test/engines/install.ts'
import { CONDUCTOR_VERSION } from '../../test/engines/versions.ts'
import { DEFINITIONS, LIST_BODY, LIST_PATH, TENANT } from './definitions.ts'
import { benchOptions, stopEverythingAtEnd } from './lifecycle.ts'
import { buildFlowgate, IDENTITY, type Peer, startBare, startFlowgate, startOriginal } from './peers.ts'
import {
  goals,
  machine,
  measureRounds,
  type Row,
  type Scenario,
  summary,
  type Target,
  table,
} from './report.ts'
import { ensureWrk } from './wrk.ts'

const options = benchOptions({ warmup: 5, rounds: 2 })
const { seconds, warmup, rounds, connections, threads } = options

/** The pass-through read: Conductor's task definitions (the four this script registers). */
const PASS = '/api/metadata/taskdefs'
const TASKS = [`${TENANT}___fetch`, `${TENANT}___transform`, 'GLOBAL___notify', `${TENANT}___store`]

let stopConductor: (() => Promise<void>) | undefined
// Bounded in time: 10 targets, each warmed up once and measured once per round, plus Conductor's
// start (up to 240 s) and slack. test/engines SIGKILLs Conductor's group on exit.
const budgetMs = (10 * (rounds * seconds + warmup) + 420) * 1_000
stopEverythingAtEnd('bench/gateway/conductor', budgetMs)

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

/** `java -version` writes to stderr. */
const javaVersion = () =>
  spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr?.split('\n')[0]?.trim() || 'Java ?'

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim()

const wrkVersion = ensureWrk()
buildFlowgate()
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
  await measureRounds(targets, options)
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
    `Machine: ${machine(wrkVersion, [`Conductor OSS ${CONDUCTOR_VERSION} (in-memory persistence, JIT unrestricted, -Xmx1g, SerialGC)`, javaVersion()])}`,
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
