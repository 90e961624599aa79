/**
 * @module bench/exec: requests/s and p50/p99 latency of httpexec, Debian's webhook and flowgate
 * (Node, Bun, Deno) running the same commands at the same concurrency with wrk, then flowgate's RSS
 * while streaming 1 GiB. Prints a Markdown table for docs/PERFORMANCE.md.
 *   node bench/exec/run.ts [--duration 10] [--connections 16] [--stream-mib 1024] [--only a,b]
 * --only picks servers by key: httpexec, webhook, node (native helper), node-helper (Node helper),
 * node-off (no helper), bun (native helper), bun-auto (the default: native helper for buffered runs,
 * streams spawned directly), bun-off (no helper), deno; by default all but node-off.
 * --baseline <dir> adds node-baseline and bun-baseline: flowgate from another checkout (with its
 * node_modules and native helper), for before/after figures in one run.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { buildFlowgate } from '../gateway/peers.ts'
import { type BenchServer, benchRoot, startFlowgate, startHttpexecBench, startWebhook } from './servers.ts'

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    'stream-mib': { type: 'string', default: '1024' },
    baseline: { type: 'string' },
    only: { type: 'string', default: 'httpexec,webhook,node,node-helper,bun,bun-auto,bun-off,deno' },
  },
})

interface Figure {
  server: string
  command: string
  rps: number
  p50: string
  p99: string
  errors: number
}

function wrk(server: BenchServer, command: string, root: string): Figure {
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
  const output = execFileSync(
    'wrk',
    [
      '-t2',
      `-c${values.connections}`,
      `-d${values.duration}s`,
      '--latency',
      '-s',
      script,
      server.url(command),
    ],
    { encoding: 'utf8' }
  )
  const latency = (p: string) => new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(output)?.[1] ?? '?'
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0)
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output)
  const socket = socketErrors ? socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0
  return {
    server: server.name,
    command,
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1] ?? 0),
    p50: latency('50'),
    p99: latency('99'),
    errors: errors + socket,
  }
}

/** Streams `mib` MiB through flowgate (NDJSON, base64) and samples the server's RSS. */
async function streamRss(
  server: BenchServer,
  mib: number
): Promise<{ before: number; peak: number; ms: number }> {
  const rss = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024
  const before = rss()
  let peak = before
  const sampler = setInterval(() => {
    peak = Math.max(peak, rss())
  }, 25)
  const started = Date.now()
  const response = await fetch(server.url('flood'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: JSON.stringify({
      args: [String(mib * 1024 * 1024)],
      stdout: { capture: true, encode: 'base64' },
      timeout: 600,
    }),
  })
  const reader = response.body?.getReader()
  for (;;) {
    const chunk = await reader?.read()
    if (!chunk || chunk.done) break
  }
  clearInterval(sampler)
  return { before, peak, ms: Date.now() - started }
}

// flowgate on Node runs the compiled dist/js, which must be current (as bench/gateway requires).
buildFlowgate()
const loadBefore = loadavg()[0]?.toFixed(1)
const root = benchRoot()
const figures: Figure[] = []
const streams: string[] = []
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
try {
  for (const start of starters) {
    const server = await start()
    try {
      for (const command of ['true', 'mib']) {
        const figure = wrk(server, command, root)
        figures.push(figure)
        process.stderr.write(`${JSON.stringify(figure)}\n`)
      }
      if (server.name.startsWith('flowgate')) {
        const mib = Number(values['stream-mib'])
        const { before, peak, ms } = await streamRss(server, mib)
        streams.push(
          `| ${server.name} | ${mib} MiB | ${(ms / 1000).toFixed(1)} s | ${before.toFixed(0)} MB | ${peak.toFixed(0)} MB | ${(peak - before).toFixed(0)} MB |`
        )
      }
    } finally {
      await server.stop()
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true })
}

const lines = [
  `${cpus().length} CPUs; 1-minute load average ${loadBefore} before the run, ${loadavg()[0]?.toFixed(1)} after.`,
  '',
  `wrk -t2 -c${values.connections} -d${values.duration}s, POST, same root; \`true\` = /bin/true, no capture; \`mib\` = 1 MiB of stdout captured.`,
  '',
  '| server | command | requests/s | p50 | p99 | non-2xx / socket errors |',
  '|---|---|---|---|---|---|',
  ...figures.map(
    (f) => `| ${f.server} | ${f.command} | ${f.rps.toFixed(0)} | ${f.p50} | ${f.p99} | ${f.errors} |`
  ),
  '',
  '| streaming (NDJSON, base64) | output | time | RSS before | RSS peak | growth |',
  '|---|---|---|---|---|---|',
  ...streams,
]
process.stdout.write(`${lines.join('\n')}\n`)
