/**
 * `flowgate serve` with exec on, as a real process on a real socket: disconnects and shutdown kill
 * the process group, secrets in flowgate's environment never reach a command, streaming keeps
 * memory flat, every run leaves an audit line.
 */
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFixtureRoot,
  type FixtureRoot,
  groupEnded,
  readPids,
  residentBytes,
  running,
} from '../../unit/node/exec/fixture-root.ts'
import { BIN, freePort, type Running, startServer } from '../processes.ts'

let fixture: FixtureRoot
let server: Running
let pidCount = 0
/** exec.spawn_helper values whose clean-up on flowgate's SIGKILL is checked. */
const HELPERS = ['native', 'node']

async function start(extra: Record<string, string> = {}): Promise<Running> {
  const port = await freePort()
  const taskProxyPort = await freePort()
  return startServer(`${BIN}/node`, {
    // As its command runs it (npm start): bin/flowgate.js, with the young-generation cap the memory
    // goal is measured with (a V8 young generation of default size alone grows by some 48 MB).
    args: ['bin/flowgate.js', 'serve', '--port', String(port)],
    env: {
      FLOWGATE_EXEC_ENABLED: 'true',
      FLOWGATE_EXEC_ROOT: fixture.root,
      FLOWGATE_EXEC_AUTH: 'none',
      FLOWGATE_EXEC_KILL_GRACE_MS: '300',
      FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '500',
      FLOWGATE_AUTH_MODE: 'none',
      FLOWGATE_TASK_PROXY_PORT: String(taskProxyPort),
      HTTPEXEC_API_SECRET: 'server-secret-value',
      ...extra,
    },
    port,
  })
}

beforeAll(async () => {
  fixture = createFixtureRoot()
  server = await start()
})
afterAll(async () => {
  await server?.stop()
  fixture?.remove()
})

const post = (base: string, name: string, body: unknown, init: RequestInit = {}) =>
  fetch(`${base}/exec/${name}`, {
    method: 'POST',
    body: JSON.stringify(body),
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers as Record<string, string> | undefined) },
  })

describe('flowgate serve with [exec] enabled', () => {
  it('runs a command under /exec', async () => {
    const response = await post(server.url, 'echo', { stdin: { content: 'hi' }, stdout: { capture: true } })
    expect(await response.json()).toEqual({
      return: 0,
      stderr: null,
      stdout: { content: 'hi', encode: null },
    })
  })

  it("never passes flowgate's own environment to a command", async () => {
    const response = await post(server.url, 'env', { stdout: { capture: true } })
    const text = ((await response.json()) as { stdout: { content: string } }).stdout.content
    expect(text).not.toContain('server-secret-value')
    expect(text).not.toMatch(/^FLOWGATE_/m)
  })

  it('kills the process group when the client disconnects', async () => {
    const file = join(fixture.base, `pids-${++pidCount}`)
    const controller = new AbortController()
    const pending = post(
      server.url,
      'spawner',
      { environment: { PIDFILE: file } },
      { signal: controller.signal }
    ).catch(() => undefined)
    const [leader, grandchild] = await readPids(file)
    expect(running(grandchild ?? 0)).toBe(true)
    controller.abort()
    await pending
    expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
  })

  it('kills the process group when a streaming client disconnects', async () => {
    const file = join(fixture.base, `pids-${++pidCount}`)
    const controller = new AbortController()
    const response = await post(
      server.url,
      'spawner',
      { environment: { PIDFILE: file }, stdout: { capture: true } },
      { signal: controller.signal, headers: { accept: 'application/x-ndjson' } }
    )
    expect(response.status).toBe(200)
    const [leader] = await readPids(file)
    controller.abort()
    expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
  })

  it('writes an audit line per run to its log', async () => {
    await post(server.url, 'exit42', {})
    await new Promise((resolve) => setTimeout(resolve, 100))
    const audits = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"exec audit"'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    expect(audits.some((line) => line.command === 'exit42' && line.returnCode === 42)).toBe(true)
  })

  it('streams 256 MiB of output with flat memory (RSS growth under 64 MB)', async () => {
    const pid = server.child.pid ?? 0
    const rss = () => residentBytes(pid)
    const before = rss()
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss())
    }, 50)
    const response = await post(
      server.url,
      'flood',
      { args: [String(256 * 1024 * 1024)], stdout: { capture: true, encode: 'base64' } },
      { headers: { accept: 'application/x-ndjson' } }
    )
    let received = 0
    let tail = ''
    const reader = response.body?.getReader()
    for (;;) {
      const chunk = await reader?.read()
      if (!chunk || chunk.done) break
      received += chunk.value.byteLength
      tail = (tail + new TextDecoder().decode(chunk.value.subarray(-200))).slice(-200)
    }
    clearInterval(sampler)
    expect(received).toBeGreaterThan(256 * 1024 * 1024)
    expect(tail).toContain('{"event":"exit","return":0}')
    expect(peak - before).toBeLessThan(64 * 1024 * 1024)
  }, 120_000)
})

describe('shutdown', () => {
  it.each(HELPERS)(
    'leaves nothing running when flowgate itself is killed with SIGKILL (the %s spawn helper cleans up)',
    async (helper) => {
      const own = await start({ FLOWGATE_EXEC_SPAWN_HELPER: helper })
      const file = join(fixture.base, `pids-${++pidCount}`)
      const pending = post(own.url, 'spawner', { environment: { PIDFILE: file } }).catch(() => undefined)
      const [leader, grandchild] = await readPids(file)
      process.kill(own.child.pid ?? 0, 'SIGKILL')
      await pending
      expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
      expect(running(grandchild ?? 0)).toBe(false)
      // The helper was in flowgate's process group: nothing of it is left either.
      expect(await groupEnded(own.child.pid ?? 0, 3000)).toBe(true)
      await own.stop()
    }
  )

  it.each(HELPERS)(
    'leaves no streaming run behind either when flowgate is killed with SIGKILL (the %s spawn helper)',
    async (helper) => {
      const own = await start({ FLOWGATE_EXEC_SPAWN_HELPER: helper })
      const file = join(fixture.base, `pids-${++pidCount}`)
      const pending = post(
        own.url,
        'spawner',
        { environment: { PIDFILE: file } },
        { headers: { accept: 'application/x-ndjson' } }
      ).catch(() => undefined)
      const [leader, grandchild] = await readPids(file)
      process.kill(own.child.pid ?? 0, 'SIGKILL')
      await pending
      expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
      expect(running(grandchild ?? 0)).toBe(false)
      await own.stop()
    }
  )

  it('kills running commands as groups on SIGTERM and exits 0', async () => {
    const own = await start()
    const file = join(fixture.base, `pids-${++pidCount}`)
    const pending = post(own.url, 'spawner', { environment: { PIDFILE: file } }).catch(() => undefined)
    const [leader, grandchild] = await readPids(file)
    const result = await own.stop('SIGTERM')
    await pending
    expect(result.code).toBe(0)
    expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })
})
