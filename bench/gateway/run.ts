import { loadavg } from 'node:os'
import { stealMeter } from '../cpu-steal.ts'
import { CHANGING, DEFINITIONS, LIST_BODY, SMALL_BODY } from './definitions.ts'
import { benchOptions, stopEverythingAtEnd } from './lifecycle.ts'
import {
  buildFlowgate,
  IDENTITY,
  type Peer,
  startBare,
  startFlowgate,
  startMinimal,
  startOriginal,
  startUpstream,
} from './peers.ts'
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

const options = benchOptions({ warmup: 3, rounds: 3 })
const { seconds, warmup, rounds, connections, threads } = options

// Bounded in time whatever happens: 17 measurements per round plus one warm-up each, with slack.
const budgetMs = (17 * (rounds * seconds + warmup) + 300) * 1_000
stopEverythingAtEnd('bench/gateway', budgetMs)

/** One request first: the peer answers what the scenario expects, or the figures would mean nothing. */
async function verify(peer: Peer, scenario: Scenario): Promise<void> {
  const response = await fetch(scenario === 'pass' ? peer.pass : peer.list, {
    headers: scenario === 'fresh' ? { ...IDENTITY, ...CHANGING } : IDENTITY,
  })
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

const wrkVersion = ensureWrk()
buildFlowgate()
const started = new Date()
const loadBefore = loadavg()
const steal = stealMeter()
const peers: Peer[] = []
const targets: Target[] = []
const rows: Row[] = []
try {
  const upstream = await startUpstream()
  peers.push(upstream)
  const origin = new URL(upstream.pass).origin
  for (const scenario of ['pass', 'list'] as const)
    targets.push({ peer: upstream, scenario, rss: false, runs: [] })
  // Each peer with the scenarios it is measured in: the changing list only where something could
  // remember a rewrite (flowgate) and the peer it is compared with (the original).
  const all = ['pass', 'list', 'fresh'] as const
  const starters: Array<[() => Promise<Peer>, readonly Scenario[]]> = [
    [() => startOriginal(origin), all],
    [() => startBare(origin), ['pass', 'list']],
    [() => startFlowgate('node', origin), all],
    [() => startFlowgate('bun', origin), all],
    [() => startMinimal('node', origin), ['pass']],
    [() => startMinimal('bun', origin), ['pass']],
  ]
  // One process per peer and scenario, so each VmHWM is the peak of that scenario alone; all of
  // them idle while another is measured, and the rounds interleave so background load on the
  // machine falls on every peer alike.
  for (const [start, scenarios] of starters) {
    for (const scenario of scenarios) {
      const peer = await start()
      peers.push(peer)
      await verify(peer, scenario)
      targets.push({ peer, scenario, rss: true, runs: [] })
    }
  }
  await measureRounds(targets, options)
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
    `Load: wrk -t${threads} -c${connections} -d${seconds}s --latency, ${rounds} interleaved rounds after a ${warmup} s warm-up each; figures are medians over the rounds; identity headers of an acme admin; upstream answers ${SMALL_BODY.byteLength} B (pass-through) and ${(LIST_BODY.byteLength / 1024).toFixed(0)} KiB (${DEFINITIONS} definitions). Machine load average (1 min) ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after; steal time ${steal()} during the run.`,
    '',
    '### Pass-through',
    '',
    table(rows, 'pass'),
    '',
    '### Tenant-rewritten list of 200 workflow definitions',
    '',
    table(rows, 'list'),
    '',
    '### The same list, changing on every call (nothing to reuse)',
    '',
    table(rows, 'fresh'),
    '',
    '### Goals',
    '',
    goals(rows),
    '',
  ].join('\n')
)
