/**
 * @module The processes bench/gateway starts: each in its own process group on 127.0.0.1, waited
 * for until it answers, stopped as a group (SIGTERM, then SIGKILL).
 */
import { execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { distFresh } from '../../scripts/dist.js'
import { BIN, freePort, groupGone, ROOT } from '../../test/integration/processes.ts'
import { LIST_PATH, PASS_PATH, TENANT } from './definitions.ts'

export interface Peer {
  name: string
  pid: number
  /** URL of the pass-through and of the tenant-rewritten list (undefined = not offered). */
  pass: string
  list: string
  /** Whether `list` rewrites (false: the bytes are proxied as they are). */
  rewrites: boolean
  stop(): Promise<void>
}

/** Identity sent with every request (trusted-header mode, an admin of tenant acme). */
export const IDENTITY = {
  'x-tenant-id': TENANT,
  from: 'bench@example.com',
  'x-auth-user-groups': 'network-admin',
}

const running = new Set<number>()

function detached(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { PATH: `${BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`, NO_COLOR: '1', ...env },
  })
  const pid = child.pid ?? 0
  running.add(pid)
  const stop = async () => {
    running.delete(pid)
    if (!groupGone(pid)) process.kill(-pid, 'SIGTERM')
    for (let i = 0; i < 50 && !groupGone(pid); i++) await new Promise((r) => setTimeout(r, 100))
    if (!groupGone(pid)) process.kill(-pid, 'SIGKILL')
  }
  return { pid, stop }
}

/** SIGKILLs every group still running (exit paths, deadline). */
export function killAll(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  running.clear()
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      const response = await fetch(url, { headers: IDENTITY, signal: AbortSignal.timeout(1_000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not answer`)
}

const node = join(BIN, 'node')
const script = (name: string) => join('bench', 'gateway', name)

export async function startUpstream(): Promise<Peer> {
  const port = await freePort()
  const { pid, stop } = detached(node, [script('upstream.ts'), String(port)])
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}${PASS_PATH}`)
  return {
    name: 'direct (upstream)',
    pid,
    pass: `${base}${PASS_PATH}`,
    list: `${base}${LIST_PATH}`,
    rewrites: false,
    stop,
  }
}

export async function startOriginal(upstream: string): Promise<Peer> {
  const port = await freePort()
  // http-proxy 1.x still calls util._extend; its deprecation warning is noise here.
  const { pid, stop } = detached(node, ['--no-deprecation', script('original.ts'), String(port), upstream])
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}${PASS_PATH}`)
  return {
    name: 'original (express + http-proxy)',
    pid,
    pass: `${base}${PASS_PATH}`,
    list: `${base}/proxy${LIST_PATH}`,
    rewrites: true,
    stop,
  }
}

export async function startBare(upstream: string): Promise<Peer> {
  const port = await freePort()
  const { pid, stop } = detached(node, [script('bare-proxy.ts'), String(port), upstream])
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}${PASS_PATH}`)
  return {
    name: 'bare node:http proxy',
    pid,
    pass: `${base}${PASS_PATH}`,
    list: `${base}${LIST_PATH}`,
    rewrites: false,
    stop,
  }
}

/**
 * flowgate as its command runs it: `bin/flowgate.js serve` on Node (the JavaScript compiled into
 * dist/js, which must be current: see buildFlowgate) or src/runtime/bun/bun.ts on Bun; configured by
 * the environment.
 */
export async function startFlowgate(runtime: 'node' | 'bun', upstream: string): Promise<Peer> {
  const [port, proxyPort] = [await freePort(), await freePort()]
  const env = {
    FLOWGATE_SERVER_PORT: String(port),
    FLOWGATE_TASK_PROXY_PORT: String(proxyPort),
    FLOWGATE_TASK_PROXY_TENANTS: TENANT,
    // The pass-through scenario forwards a queue-size GET, as the peers do: outside the calls
    // workers make, which the task proxy passes only with pass_through = "all".
    FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
    FLOWGATE_CONDUCTOR_URL: upstream,
    FLOWGATE_AUTH_MODE: 'headers',
    FLOWGATE_LOG_LEVEL: 'warn',
    FLOWGATE_LOG_ACCESS: 'false',
  }
  const args: Record<typeof runtime, [string, string[]]> = {
    node: [node, ['bin/flowgate.js', 'serve']],
    bun: [join(BIN, 'bun'), ['src/runtime/bun/bun.ts']],
  }
  const { pid, stop } = detached(...args[runtime], env)
  const pass = `http://127.0.0.1:${proxyPort}${PASS_PATH}`
  await waitFor(pass)
  return {
    name: `flowgate (${runtime})`,
    pid,
    pass,
    list: `http://127.0.0.1:${port}${LIST_PATH}`,
    rewrites: true,
    stop,
  }
}

/** Compiles dist/js if needed and fails unless `flowgate` will run it (not the sources). */
export function buildFlowgate(): void {
  execFileSync(node, ['scripts/build.ts'], { cwd: ROOT, stdio: 'inherit' })
  if (!distFresh(ROOT)) throw new Error('dist/js is not current after scripts/build.ts; see its output')
}

/** The reference peers of minimal-node.ts and minimal-bun.ts (no rewrite, no identity). */
export async function startMinimal(runtime: 'node' | 'bun', upstream: string): Promise<Peer> {
  const port = await freePort()
  const { pid, stop } =
    runtime === 'node'
      ? detached(node, [script('minimal-node.ts'), String(port), upstream])
      : detached(join(BIN, 'bun'), [script('minimal-bun.ts'), String(port), upstream])
  const base = `http://127.0.0.1:${port}`
  await waitFor(`${base}${PASS_PATH}`)
  return {
    name: runtime === 'node' ? 'minimal Hono (node)' : 'minimal Hono + fetch (bun)',
    pid,
    pass: `${base}${PASS_PATH}`,
    list: `${base}${LIST_PATH}`,
    rewrites: false,
    stop,
  }
}

/** Resident set of a process in MB: `VmHWM` (peak since start) or `VmRSS` (now). */
export function memoryMb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024
}
