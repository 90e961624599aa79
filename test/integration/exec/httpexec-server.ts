/**
 * @module Real httpexec for the compatibility test: a virtualenv in ~/.cache/flowgate (outside the
 * repository) with httpexec and hypercorn from PyPI, served on a free loopback port. Any failure
 * throws: the compatibility test must fail loudly, never skip.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { freePort, groupGone } from '../processes.ts'

export const VENV = join(homedir(), '.cache', 'flowgate', 'httpexec-venv')

/** Creates the virtualenv and installs httpexec + hypercorn unless they are already there. */
export function ensureHttpexec(): string {
  const hypercorn = join(VENV, 'bin', 'hypercorn')
  const python = join(VENV, 'bin', 'python')
  const installed = () => {
    try {
      execFileSync(python, ['-c', 'import httpexec.asgi, hypercorn'], { stdio: 'ignore' })
      return existsSync(hypercorn)
    } catch {
      return false
    }
  }
  if (installed()) return hypercorn
  process.stderr.write(`installing httpexec and hypercorn from PyPI into ${VENV} …\n`)
  mkdirSync(join(VENV, '..'), { recursive: true })
  try {
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' })
    execFileSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', 'httpexec', 'hypercorn'], {
      stdio: 'inherit',
    })
  } catch (error) {
    throw new Error(
      `cannot install httpexec (python3 -m venv + pip install httpexec hypercorn into ${VENV}): ${String(error)}`
    )
  }
  if (!installed()) throw new Error(`httpexec is still not importable from ${VENV}`)
  return hypercorn
}

export interface HttpexecServer {
  url: string
  /** hypercorn's pid (its process group). */
  pid: number
  stop(): Promise<void>
}

/** Serves httpexec with hypercorn; resolves once it answers HTTP. */
export async function startHttpexec(options: { root: string; cwd: string }): Promise<HttpexecServer> {
  const hypercorn = ensureHttpexec()
  const port = await freePort()
  const child: ChildProcess = spawn(hypercorn, ['httpexec.asgi:app', '--bind', `127.0.0.1:${port}`], {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', HTTPEXEC_EXEC_ROOT: options.root },
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString()
  })
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    const pid = child.pid ?? 0
    if (pid && !groupGone(pid)) process.kill(-pid, 'SIGTERM')
    for (let i = 0; i < 50 && pid && !groupGone(pid); i++) await new Promise((r) => setTimeout(r, 100))
    if (pid && !groupGone(pid)) process.kill(-pid, 'SIGKILL')
  }
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break
    try {
      await fetch(`${url}/`, { method: 'POST', signal: AbortSignal.timeout(1000) })
      return { url, pid: child.pid ?? 0, stop }
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
  }
  await stop()
  throw new Error(`httpexec did not start on ${url}:\n${output}`)
}
