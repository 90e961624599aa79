/**
 * @module bench/exec: requests/s and p50/p99 latency of httpexec, Debian's webhook and flowgate
 * (Node, Bun, Deno) running the same commands at the same concurrency with wrk, then flowgate's RSS
 * while streaming 1 GiB. Every server is started once and measured in interleaved rounds (a warm-up
 * of each first), so background load on the machine falls on every server alike; the figures are
 * medians over the rounds. Prints Markdown for docs/PERFORMANCE.md, the goals included.
 *   node bench/exec/run.ts [--duration 8] [--warmup 2] [--rounds 3] [--connections 16]
 *                          [--stream-mib 1024] [--only a,b]
 * --only picks servers by key: httpexec, webhook, node (native helper), node-helper (Node helper),
 * node-off (no helper), bun (native helper), bun-auto (the default: native helper for buffered runs,
 * streams spawned directly), bun-off (no helper), deno; by default all but node-off.
 * --baseline <dir> adds node-baseline and bun-baseline: flowgate from another checkout (with its
 * node_modules and native helper), for before/after figures in one run.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { stealMeter } from '../cpu-steal.ts'
import { cpuMeter } from '../cpu-time.ts'
import { buildFlowgate } from '../gateway/peers.ts'
import { type Figure, goals, type Measured, type Streamed, streamTable, table } from './report.ts'
import { type BenchServer, benchRoot, startFlowgate, startHttpexecBench, startWebhook } from './servers.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'stream-mib': { type: 'string', default: '1024' },
    baseline: { type: 'string' },
    only: { type: 'string', default: 'httpexec,webhook,node,node-helper,bun,bun-auto,bun-off,deno' },
  },
})
const COMMANDS = ['true', 'mib'] as const

function wrk(server: BenchServer, command: string, root: string, seconds: string): Figure {
  const script = join(root, `wrk-${command}.lua`)
  const body = server.body(command)
  writeFileSync(
    script,
    [
      'wrk.method = "POST"',
      body === undefined ? '' : `wrk.body = ${JSON.stringify(body)}`,
      body === undefined ? '' : 'wrk.headers["Content-Type"] = "application/json"',
    ].join('\n')
  )
  const cpu = cpuMeter(server.pid)
  const output = execFileSync(
    'wrk',
    ['-t2', `-c${values.connections}`, `-d${seconds}s`, '--latency', '-s', script, server.url(command)],
    { encoding: 'utf8' }
  )
  const latency = (p: string) => milliseconds(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1])
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const socket = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0),
    p50: latency('50'),
    p99: latency('99'),
    errors: errors + socket,
    cpuUs: cpu(Number(/(\d+) requests in/.exec(output)?.[1] ?? 0)),
  }
}

/** wrk's latency ("812.50us", "14.42ms", "1.20s") in milliseconds. */
function milliseconds(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text ?? '')
  if (!match) return Number.NaN
  const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }
  return Number(match[1]) * (scale[match[2] ?? ''] ?? Number.NaN)
}

/**
 * POSTs `body` asking for NDJSON and reads the answer to its end, over a connection of its own:
 * fetch could pick a keep-alive connection of the start-up checks that the server has since closed.
 */
function drain(url: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    })
    request.on('error', reject)
    request.on('response', (response) => {
      if (response.statusCode !== 200) reject(new Error(`${url}: status ${response.statusCode}`))
      response.on('error', reject)
      response.on('end', resolve)
      response.resume()
    })
    request.end(JSON.stringify(body))
  })
}

/** Output streamed once before the measured stream when warm-ups are on. */
const WARM_UP_STREAM_MIB = 64

function rssMb(server: BenchServer): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
}

/** Streams `mib` MiB through flowgate (NDJSON, base64) and samples the server's RSS. */
async function streamRss(
  server: BenchServer,
  mib: number
): Promise<{ before: number; peak: number; ms: number }> {
  const rss = () => rssMb(server)
  const before = rss()
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss())
  }, 25)
  const started = Date.now()
  try {
    await drain(server.url('flood'), {
      args: [String(mib * 1024 * 1024)],
      stdout: { capture: true, encode: 'base64' },
      timeout: 600,
    })
  } finally {
    clearInterval(sampler)
  }
  return { before, peak, ms: Date.now() - started }
}

// flowgate on Node runs the compiled dist/js, which must be current (as bench/gateway requires).
buildFlowgate()
const loadBefore = loadavg()[0]?.toFixed(1)
const steal = stealMeter()
const root = benchRoot()
const rows: Measured[] = []
const streams: Streamed[] = []
const STARTERS: Record<string, () => Promise<BenchServer>> = {
  httpexec: () => startHttpexecBench(root),
  webhook: () => startWebhook(root),
  node: () => startFlowgate('node', root, 'native'),
  'node-helper': () => startFlowgate('node', root, 'node'),
  'node-off': () => startFlowgate('node', root, 'off'),
  bun: () => startFlowgate('bun', root, 'native'),
  'bun-auto': () => startFlowgate('bun', root, 'auto'),
  'bun-off': () => startFlowgate('bun', root, 'off'),
  deno: () => startFlowgate('deno', root),
  'node-baseline': () => startFlowgate('node', root, 'native', baseline()),
  'bun-baseline': () => startFlowgate('bun', root, 'auto', baseline()),
}

function baseline(): string {
  if (!values.baseline) throw new Error('node-baseline and bun-baseline need --baseline <checkout>')
  return values.baseline
}
const starters = (values.only ?? '').split(',').map((key) => {
  const start = STARTERS[key.trim()]
  if (!start) throw new Error(`--only: unknown server ${key} (known: ${Object.keys(STARTERS).join(', ')})`)
  return start
})
const servers: BenchServer[] = []
const stopAll = async () => {
  for (const server of servers.splice(0)) await server.stop()
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void stopAll().finally(() => process.exit(130))
  })
}
const warmup = Number(values.warmup)
try {
  // All servers run for the whole benchmark; each is idle while another is measured.
  for (const start of starters) servers.push(await start())
  for (const server of servers) {
    for (const command of COMMANDS) {
      if (warmup > 0) wrk(server, command, root, String(warmup))
      rows.push({ server: server.name, command, runs: [] })
    }
  }
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const server of servers) {
      for (const command of COMMANDS) {
        const figure = wrk(server, command, root, values.duration)
        rows.find((r) => r.server === server.name && r.command === command)?.runs.push(figure)
        process.stderr.write(`round ${round} ${server.name} ${command}: ${JSON.stringify(figure)}\n`)
      }
    }
  }
  // Streaming after the rounds, one server at a time (the others idle): a warm-up stream first
  // (as every other measurement has its warm-up), then the measured one; the RSS the server had
  // idle before the warm-up is kept too, so the table shows the growth from there as well.
  for (const server of servers.filter((s) => s.name.startsWith('flowgate'))) {
    const mib = Number(values['stream-mib'])
    const idle = rssMb(server)
    if (warmup > 0) await streamRss(server, WARM_UP_STREAM_MIB)
    const { before, peak, ms } = await streamRss(server, mib)
    streams.push({
      server: server.name,
      mib,
      seconds: ms / 1000,
      idleMb: idle,
      beforeMb: before,
      peakMb: peak,
    })
  }
} finally {
  await stopAll()
  rmSync(root, { recursive: true, force: true })
}

const lines = [
  `${cpus().length} CPUs; 1-minute load average ${loadBefore} before the run, ${loadavg()[0]?.toFixed(1)} after; steal time ${steal()} during it.`,
  '',
  `wrk -t2 -c${values.connections} -d${values.duration}s, POST, same root, ${values.rounds} interleaved rounds after a ${values.warmup} s warm-up of each; figures are medians over the rounds; streaming after a ${WARM_UP_STREAM_MIB} MiB warm-up stream when warm-ups are on. \`true\` = /bin/true, no capture; \`mib\` = 1 MiB of stdout captured.`,
  '',
  table(rows),
  '',
  streamTable(streams),
  '',
  goals(rows, streams),
]
process.stdout.write(`${lines.join('\n')}\n`)
