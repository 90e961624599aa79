/**
 * @module The A/B of issue 15 item 7: flowgate's engine clients (AB_ENGINE_CLIENT, read by
 * the runtime entries) measured in one run, interleaved: on Node the hand-written node:http client
 * against undici's `request` (and undici's `fetch` as the forwarder), on Bun the hand-written
 * `Bun.connect` pool against Bun's fetch and the undici package. The bare proxy is the reference
 * of the pass-through goals. `npx node bench/gateway/engine-clients.ts --duration 8 --warmup 2 --rounds 3`
 */
import { loadavg } from 'node:os'
import { stealMeter } from '../cpu-steal.ts'
import { benchOptions, stopEverythingAtEnd } from './lifecycle.ts'
import { buildFlowgate, IDENTITY, type Peer, startBare, startFlowgate, startUpstream } from './peers.ts'
import { machine, measureRounds, type Row, type Scenario, summary, type Target, table } from './report.ts'
import { ensureWrk } from './wrk.ts'

const options = benchOptions({ warmup: 2, rounds: 3 })
const { seconds, warmup, rounds, connections, threads } = options
stopEverythingAtEnd('bench/gateway/engine-clients', (12 * (rounds * seconds + warmup) + 300) * 1_000)

const client = (name: string) => ({ env: { AB_ENGINE_CLIENT: name }, label: name })
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
  const starters: Array<[() => Promise<Peer>, readonly Scenario[]]> = [
    [() => startBare(origin), ['pass']],
    [() => startFlowgate('node', origin, client('own')), ['pass', 'list']],
    [() => startFlowgate('node', origin, client('undici')), ['pass', 'list']],
    [() => startFlowgate('node', origin, client('undici-fetch')), ['list']],
    [() => startFlowgate('bun', origin, client('own')), ['pass']],
    [() => startFlowgate('bun', origin, client('fetch')), ['pass']],
    [() => startFlowgate('bun', origin, client('undici')), ['pass']],
  ]
  for (const [start, scenarios] of starters) {
    for (const scenario of scenarios) {
      const peer = await start()
      peers.push(peer)
      const check = await fetch(scenario === 'pass' ? peer.pass : peer.list, {
        headers: IDENTITY,
      })
      await check.arrayBuffer()
      if (check.status !== 200) throw new Error(`${peer.name} ${scenario}: status ${check.status}`)
      targets.push({ peer, scenario, rss: true, runs: [] })
    }
  }
  await measureRounds(targets, options)
} finally {
  rows.push(...targets.filter((t) => t.runs.length > 0).map(summary))
  for (const peer of peers.reverse()) await peer.stop()
}
const loadAfter = loadavg()
process.stdout.write(
  [
    `Run ${started.toISOString()} · \`npx node bench/gateway/engine-clients.ts --duration ${seconds} --warmup ${warmup} --rounds ${rounds} --connections ${connections} --threads ${threads}\``,
    `Machine: ${machine(wrkVersion)}`,
    `Load average (1 min) ${loadBefore[0]?.toFixed(1)} before, ${loadAfter[0]?.toFixed(1)} after; steal ${steal()}.`,
    '',
    '### Pass-through',
    '',
    table(rows, 'pass'),
    '',
    '### List rewrite',
    '',
    table(rows, 'list'),
    '',
  ].join('\n')
)
