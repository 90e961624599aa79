import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BIN, freePort, groupGone, portFree, ROOT, type Running, startServer } from './processes.ts'

interface Entry {
  runtime: string
  label?: string
  start(port: number): Promise<Running>
  /** Whether SIGTERM ends the process with exit code 0 (wrangler is a wrapper and may not). */
  gracefulExit: boolean
}

/** A stand-in engine for the task proxy's pass-through: what reached it last. */
let engine: Server
let engineUrl = ''
let engineSaw: { url: string; headers: IncomingHttpHeaders } | undefined
/** Read through a call: TypeScript would keep the narrowing of the reset before the request. */
const lastSeen = () => engineSaw

/** The task proxy listens on the next port (checked free by the test). */
const env = (port: number) => ({
  FLOWGATE_CONDUCTOR_URL: engineUrl,
  FLOWGATE_SERVER_PORT: String(port),
  FLOWGATE_TASK_PROXY_PORT: String(port + 1),
  FLOWGATE_TASK_PROXY_TENANTS: 'acme,globex',
  // These cases test forwarding on each runtime, not which calls the task proxy opens.
  FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
  FLOWGATE_LOG_LEVEL: 'warn',
  FLOWGATE_SERVER_BODY_LIMIT: '64kb',
})

let binaryDir = ''

/** `wrangler dev` of one Worker on 127.0.0.1 (its workerd children share the process group). */
const wranglerDev = (port: number, config: string, readyPath: string) =>
  startServer(join(BIN, 'wrangler'), {
    args: [
      'dev',
      '--config',
      config,
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--inspector-port',
      '0',
      '--show-interactive-dev-session=false',
    ],
    port,
    readyPath,
    timeoutMs: 90_000,
  })

const entries: Entry[] = [
  {
    runtime: 'node',
    gracefulExit: true,
    start: (port) =>
      startServer(process.execPath, { args: ['src/cli/main.ts', 'serve'], env: env(port), port }),
  },
  {
    runtime: 'bun',
    gracefulExit: true,
    start: (port) =>
      startServer(join(BIN, 'bun'), { args: ['src/runtime/bun/bun.ts'], env: env(port), port }),
  },
  {
    runtime: 'deno',
    gracefulExit: true,
    start: (port) =>
      startServer(join(BIN, 'deno'), {
        args: ['run', '--allow-net', '--allow-env', '--allow-read', 'src/runtime/deno/deno.ts'],
        env: env(port),
        port,
      }),
  },
  {
    runtime: 'workerd',
    gracefulExit: false,
    start: (port) => wranglerDev(port, 'wrangler.toml', '/healthz'),
  },
  {
    runtime: 'bun',
    label: 'bun single binary',
    gracefulExit: true,
    start: (port) => startServer(join(binaryDir, 'flowgate'), { env: env(port), port }),
  },
  {
    runtime: 'workerd',
    label: 'workerd task proxy Worker',
    gracefulExit: false,
    start: (port) => wranglerDev(port, 'wrangler.task-proxy.toml', '/readyz'),
  },
]

beforeAll(async () => {
  engine = createServer((req, res) => {
    engineSaw = { url: req.url ?? '', headers: req.headers }
    res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'engine=1' })
    res.end('{"GLOBAL___notify":3}')
  })
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve))
  engineUrl = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`
  binaryDir = mkdtempSync(join(tmpdir(), 'flowgate-bin-'))
  const build = spawnSync(
    join(BIN, 'bun'),
    ['build', '--compile', 'src/runtime/bun/bun.ts', '--outfile', join(binaryDir, 'flowgate')],
    { cwd: ROOT, encoding: 'utf8' }
  )
  if (build.status !== 0) throw new Error(`bun build --compile failed:\n${build.stdout}\n${build.stderr}`)
})

describe('the conformance cases inside a Bun single binary', () => {
  it('pass, every one of them', () => {
    const binary = join(binaryDir, 'flowgate-cases')
    const build = spawnSync(
      join(BIN, 'bun'),
      ['build', '--compile', 'test/runtime/bun-binary/run-cases.ts', '--outfile', binary],
      { cwd: ROOT, encoding: 'utf8' }
    )
    expect(build.status, build.stderr).toBe(0)
    const run = spawnSync(binary, [], { encoding: 'utf8', timeout: 60_000 })
    const results = run.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { name: string; ok: boolean; error?: string })
    expect(results.filter((result) => !result.ok)).toEqual([])
    expect(results.length).toBeGreaterThanOrEqual(13)
    expect(run.status).toBe(0)
  })
})

afterAll(async () => {
  rmSync(binaryDir, { recursive: true, force: true })
  engine.closeAllConnections()
  await new Promise((resolve) => engine.close(resolve))
})

describe.each(entries.map((entry) => ({ ...entry, label: entry.label ?? entry.runtime })))(
  'the $label entry over real HTTP',
  (entry) => {
    it('serves /healthz, counts it in /metrics, and stops with its process group on SIGTERM', async () => {
      let port = await freePort()
      while (!(await portFree(port + 1))) port = await freePort()
      const server = await entry.start(port)
      try {
        const health = await fetch(`${server.url}/healthz`)
        expect(health.status).toBe(200)
        expect(await health.json()).toMatchObject({ status: 'ok', runtime: entry.runtime })
        const missing = await fetch(`${server.url}/nope`)
        expect(missing.status).toBe(404)
        expect(missing.headers.get('content-type')).toBe('application/problem+json')
        const metrics = await (await fetch(`${server.url}/metrics`)).text()
        expect(metrics).toMatch(
          /flowgate_http_requests_total\{method="GET",route="\/healthz",status="200"\} [1-9]/
        )
        if (entry.runtime !== 'workerd') {
          // Past the limit by Content-Length: flowgate's problem response, not the server's own.
          const large = await fetch(`${server.url}/nope`, { method: 'POST', body: 'x'.repeat(200_000) })
          expect(large.status).toBe(413)
          expect(((await large.json()) as { code: string }).code).toBe('FG_ERR_HTTP_BODY_TOO_LARGE')
          expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]\d+$/m)
          const proxy = await fetch(`http://127.0.0.1:${port + 1}/readyz`)
          expect(proxy.status).toBe(200)
          expect(await proxy.json()).toMatchObject({
            status: 'ready',
            checks: [{ name: 'tenants', ok: true }],
          })
          // A worker's pass-through GET, as the entry serves it (its own engine client on Node and Bun).
          engineSaw = undefined
          const passed = await fetch(
            `http://127.0.0.1:${port + 1}/api/tasks/queue/sizes?taskType=GLOBAL___notify`,
            {
              headers: { authorization: 'Bearer worker-secret', 'x-request-id': 'worker-1' },
            }
          )
          expect(passed.status).toBe(200)
          expect(await passed.text()).toBe('{"GLOBAL___notify":3}')
          expect(passed.headers.get('x-request-id')).toBe('worker-1')
          expect(passed.headers.get('set-cookie')).toBeNull()
          expect(lastSeen()?.url).toBe('/api/tasks/queue/sizes?taskType=GLOBAL___notify')
          expect(lastSeen()?.headers.authorization).toBeUndefined()
          expect(lastSeen()?.headers['x-forwarded-host']).toBe(`127.0.0.1:${port + 1}`)
        }
      } finally {
        const result = await server.stop('SIGTERM')
        if (entry.gracefulExit) expect(result).toEqual({ code: 0, signal: null })
      }
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(groupGone(server.child.pid ?? 0)).toBe(true)
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
    })
  }
)
