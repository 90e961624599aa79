/** @module The servers bench/exec compares, each started on a free port over the same command root. */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startHttpexec } from '../../test/integration/exec/httpexec-server.ts'
import { BIN, freePort, groupGone, ROOT } from '../../test/integration/processes.ts'

export interface BenchServer {
  name: string
  /** URL of a command by name ("true", "mib", "flood"). */
  url(command: string): string
  /** Body wrk sends for a command; undefined = none. */
  body(command: string): string | undefined
  pid: number
  stop(): Promise<void>
}

/** A root with `true` (a copy of /bin/true), `mib` (prints 1 MiB) and `flood` (prints $1 bytes). */
export function benchRoot(): string {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'flowgate-bench-')))
  copyFileSync('/bin/true', join(base, 'true'))
  writeFileSync(join(base, 'mib.txt'), 'x'.repeat(1024 * 1024))
  writeFileSync(join(base, 'mib'), `#!/bin/sh\nexec cat ${join(base, 'mib.txt')}\n`, { mode: 0o755 })
  writeFileSync(join(base, 'flood'), '#!/bin/sh\nhead -c "$1" /dev/zero\n', { mode: 0o755 })
  return base
}

const CAPTURE: Record<string, string | undefined> = { true: '{}', mib: '{"stdout":{"capture":true}}' }

async function waitForHttp(url: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    try {
      await fetch(url, { method: 'POST', signal: AbortSignal.timeout(1000) })
      return
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  throw new Error(`${url} did not answer`)
}

function detached(command: string, args: string[], env: Record<string, string>, cwd = ROOT) {
  const child = spawn(command, args, { cwd, detached: true, stdio: 'ignore', env })
  const pid = child.pid ?? 0
  const stop = async () => {
    if (!groupGone(pid)) process.kill(-pid, 'SIGTERM')
    for (let i = 0; i < 50 && !groupGone(pid); i++) await new Promise((r) => setTimeout(r, 100))
    if (!groupGone(pid)) process.kill(-pid, 'SIGKILL')
  }
  return { pid, stop }
}

/**
 * flowgate exec serve on Node (`bin/flowgate.js`), Bun or Deno, limits raised so the benchmark's 16
 * connections fit;
 * `spawnHelper` sets exec.spawn_helper ("native", "node", "off", "auto"; unset = the default, "auto").
 * `checkout` runs another copy of flowgate (an earlier version, to compare in the same run).
 */
export async function startFlowgate(
  runtime: 'node' | 'bun' | 'deno',
  root: string,
  spawnHelper?: 'native' | 'node' | 'off' | 'auto',
  checkout?: string
): Promise<BenchServer> {
  const port = await freePort()
  const { pid, stop } = detached(
    join(BIN, runtime),
    [
      ...(runtime === 'deno' ? ['run', '-A'] : []),
      // On Node as its command runs it: bin/flowgate.js (the compiled dist/js when current, and
      // the young-generation cap every server gets); Bun and Deno run the sources.
      runtime === 'node' ? 'bin/flowgate.js' : 'src/cli/main.ts',
      'exec',
      'serve',
      '--port',
      String(port),
      '--root',
      root,
    ],
    {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      FLOWGATE_EXEC_AUTH: 'none',
      FLOWGATE_LOG_LEVEL: 'warn',
      FLOWGATE_LOG_ACCESS: 'false',
      FLOWGATE_EXEC_MAX_CONCURRENT: '256',
      FLOWGATE_EXEC_MAX_CONCURRENT_PER_COMMAND: '256',
      ...(spawnHelper ? { FLOWGATE_EXEC_SPAWN_HELPER: spawnHelper } : {}),
    },
    checkout
  )
  const base = `http://127.0.0.1:${port}`
  await waitForHttp(`${base}/true`)
  const helper =
    spawnHelper === 'off' ? 'no helper' : spawnHelper === 'auto' ? 'auto' : `${spawnHelper} helper`
  const version = checkout ? ', baseline' : ''
  const name = spawnHelper ? `flowgate (${runtime}, ${helper}${version})` : `flowgate (${runtime}${version})`
  return { name, url: (c) => `${base}/${c}`, body: (c) => CAPTURE[c], pid, stop }
}

export async function startHttpexecBench(root: string): Promise<BenchServer> {
  const server = await startHttpexec({ root, cwd: ROOT })
  return {
    name: 'httpexec (hypercorn)',
    url: (c) => `${server.url}/${c}`,
    body: (c) => CAPTURE[c],
    pid: server.pid,
    stop: server.stop,
  }
}

/** Installs Debian's webhook when it is not on PATH, as bench/gateway does wrk. */
function ensureWebhook(): void {
  if (!spawnSync('webhook', ['-version']).error) return
  process.stderr.write('webhook not found; installing it from Debian\n')
  execFileSync('sh', ['-c', 'apt-get update && apt-get install -y webhook'], { stdio: 'inherit' })
}

/** Debian's `webhook`, output included in the response as for a capturing client. */
export async function startWebhook(root: string): Promise<BenchServer> {
  ensureWebhook()
  const port = await freePort()
  const hooks = join(root, 'hooks.json')
  const hook = (id: string) => ({
    id,
    'execute-command': join(root, id),
    'include-command-output-in-response': true,
  })
  writeFileSync(hooks, JSON.stringify([hook('true'), hook('mib')]))
  const { pid, stop } = detached('webhook', ['-hooks', hooks, '-ip', '127.0.0.1', '-port', String(port)], {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  })
  const base = `http://127.0.0.1:${port}/hooks`
  await waitForHttp(`${base}/true`)
  return { name: 'webhook (Debian)', url: (c) => `${base}/${c}`, body: () => undefined, pid, stop }
}
