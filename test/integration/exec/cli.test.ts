/** `flowgate exec serve` as a real process: usage, start-up refusals, serving at /<command>, SIGTERM. */
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFixtureRoot,
  type FixtureRoot,
  groupEnded,
  running,
} from '../../unit/node/exec/fixture-root.ts'
import { BIN, freePort, ROOT, startServer } from '../processes.ts'

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

const cli = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(`${BIN}/node`, ['src/cli/main.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  })

describe('flowgate exec', () => {
  it('prints its help and exits 0', () => {
    const result = cli(['exec', '--help'])
    expect(result.status).toBe(0)
    expect(result.stdout).toContain('Usage: flowgate exec serve')
  })

  it.each([
    ['no subcommand', ['exec']],
    ['an unknown subcommand', ['exec', 'run']],
    ['an unknown option', ['exec', 'serve', '--bogus']],
  ])('exits 2 for %s', (_name, args) => {
    const result = cli(args)
    expect(result.status).toBe(2)
    expect(result.stderr).toMatch(/^flowgate: /)
  })

  it('refuses to start with a missing root, naming the setting (httpexec: 500 per request)', () => {
    const result = cli(['exec', 'serve', '--root', '/nonexistent/root'])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('exec.root')
  })

  it('refuses auth = "none" on a non-loopback listener', () => {
    const result = cli(['exec', 'serve', '--root', fixture.root, '--host', '0.0.0.0'], {
      FLOWGATE_EXEC_AUTH: 'none',
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('exec.auth')
  })

  it('refuses to run commands as a user that does not exist, naming exec.run_as', () => {
    const result = cli(['exec', 'serve', '--root', fixture.root], {
      FLOWGATE_EXEC_AUTH: 'none',
      FLOWGATE_EXEC_RUN_AS: 'no-such-user-flowgate',
    })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('exec.run_as')
  })

  it('serves /<command> from HTTPEXEC_EXEC_ROOT and kills running commands on SIGTERM, exiting 0', async () => {
    const port = await freePort()
    const server = await startServer(`${BIN}/node`, {
      args: ['src/cli/main.ts', 'exec', 'serve', '--port', String(port)],
      env: {
        HTTPEXEC_EXEC_ROOT: fixture.root,
        FLOWGATE_EXEC_AUTH: 'none',
        FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '300',
      },
      port,
    })
    const ok = await fetch(`${server.url}/exit42`, { method: 'POST' })
    expect(await ok.json()).toEqual({ return: 42, stderr: null, stdout: null })
    const file = join(fixture.base, 'cli-pids')
    const pending = fetch(`${server.url}/spawner`, {
      method: 'POST',
      body: JSON.stringify({ environment: { PIDFILE: file } }),
      headers: { 'content-type': 'application/json' },
    }).catch(() => undefined)
    let pids = ''
    for (let i = 0; i < 200 && !pids.includes(' '); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      try {
        pids = readFileSync(file, 'utf8')
      } catch {
        // not yet
      }
    }
    const result = await server.stop('SIGTERM')
    await pending
    expect(result.code).toBe(0)
    expect(await groupEnded(Number(pids.split(' ')[0]), 3000)).toBe(true)
  })

  it.each([
    ['Bun', 'bun', []],
    ['Deno', 'deno', ['run', '-A']],
  ])('serves on %s too, killing the process group at the timeout', async (_name, runtime, pre) => {
    const port = await freePort()
    const server = await startServer(`${BIN}/${runtime}`, {
      args: [...pre, 'src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
      env: { FLOWGATE_EXEC_AUTH: 'none', FLOWGATE_EXEC_KILL_GRACE_MS: '200' },
      port,
    })
    try {
      const file = join(fixture.base, `${runtime}-pids`)
      const response = await fetch(`${server.url}/spawner`, {
        method: 'POST',
        body: JSON.stringify({ environment: { PIDFILE: file }, timeout: 2, stdout: { capture: true } }),
        headers: { 'content-type': 'application/json' },
      })
      expect(await response.json()).toEqual({
        return: -15,
        stderr: null,
        stdout: { content: '', encode: null },
        timed_out: true,
      })
      const [leader, grandchild] = readFileSync(file, 'utf8').trim().split(' ').map(Number)
      expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
      expect(running(grandchild ?? 0)).toBe(false)
    } finally {
      await server.stop()
    }
  })

  it('on Bun (Bun.serve), kills the run of a client that left, streams past Bun’s 10 s idle timeout and refuses a large body with a problem', async () => {
    const port = await freePort()
    const server = await startServer(`${BIN}/bun`, {
      args: ['src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
      env: {
        FLOWGATE_EXEC_AUTH: 'none',
        FLOWGATE_EXEC_KILL_GRACE_MS: '200',
        FLOWGATE_SERVER_BODY_LIMIT: '100kb',
      },
      port,
    })
    try {
      const file = join(fixture.base, 'bun-left-pids')
      const left = new AbortController()
      const abandoned = fetch(`${server.url}/spawner`, {
        method: 'POST',
        body: JSON.stringify({ environment: { PIDFILE: file }, timeout: 60 }),
        headers: { 'content-type': 'application/json' },
        signal: left.signal,
      }).catch((error: unknown) => error)
      for (let i = 0; i < 50 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100))
      left.abort()
      await abandoned
      const [leader, grandchild] = readFileSync(file, 'utf8').trim().split(' ').map(Number)
      expect(await groupEnded(leader ?? 0, 3000)).toBe(true)
      expect(running(grandchild ?? 0)).toBe(false)

      const quiet = await fetch(`${server.url}/pause`, {
        method: 'POST',
        body: JSON.stringify({ args: ['15'], stdout: { capture: true } }),
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      })
      expect(await quiet.text()).toBe(
        '{"event":"stdout","content":"start\\n","encode":null}\n' +
          '{"event":"stdout","content":"end\\n","encode":null}\n{"event":"exit","return":0}\n'
      )

      const large = await fetch(`${server.url}/echo`, {
        method: 'POST',
        body: JSON.stringify({ stdin: { content: 'x'.repeat(200_000) } }),
        headers: { 'content-type': 'application/json' },
      })
      expect(large.status).toBe(413)
      expect(((await large.json()) as { code: string }).code).toBe('FG_ERR_HTTP_BODY_TOO_LARGE')
    } finally {
      await server.stop()
    }
  }, 40_000)

  it('on Bun with spawn_helper "auto", streams a run (spawned by Bun, watched by the native helper)', async () => {
    const port = await freePort()
    const server = await startServer(`${BIN}/bun`, {
      args: ['src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
      env: { FLOWGATE_EXEC_AUTH: 'none', FLOWGATE_LOG_LEVEL: 'info' },
      port,
    })
    try {
      const response = await fetch(`${server.url}/both`, {
        method: 'POST',
        body: JSON.stringify({ stdout: { capture: true }, stderr: { capture: true } }),
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      })
      const events = (await response.text())
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { event: string; content?: string; return?: number })
      expect(
        events
          .filter((e) => e.event === 'stdout')
          .map((e) => e.content)
          .join('')
      ).toBe('out\n')
      expect(
        events
          .filter((e) => e.event === 'stderr')
          .map((e) => e.content)
          .join('')
      ).toBe('err\n')
      expect(events.at(-1)).toEqual({ event: 'exit', return: 3 })
      expect(server.output()).toMatch(/"spawnHelper":"native","streams":"direct, watched"/)
    } finally {
      await server.stop()
    }
  })

  it.each([
    ['Node', 'node', []],
    ['Bun', 'bun', []],
    ['Deno', 'deno', ['run', '-A']],
  ])(
    'on %s, gives the buffered-output budget back once each reply is sent',
    async (_name, runtime, pre) => {
      const port = await freePort()
      // Each reply is 600 kB of \u0001 escapes: without the budget freed, the fifth would be truncated.
      const server = await startServer(`${BIN}/${runtime}`, {
        args: [...pre, 'src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
        env: { FLOWGATE_EXEC_AUTH: 'none', FLOWGATE_EXEC_MAX_BUFFERED_BYTES: '3mb' },
        port,
      })
      try {
        for (let i = 0; i < 12; i++) {
          const response = await fetch(`${server.url}/controls`, {
            method: 'POST',
            body: JSON.stringify({ args: ['100000'], stdout: { capture: true } }),
            headers: { 'content-type': 'application/json' },
          })
          const reply = (await response.json()) as { stdout: { content: string }; truncated?: boolean }
          expect(reply.truncated).toBeUndefined()
          expect(reply.stdout.content).toHaveLength(100_000)
        }
      } finally {
        await server.stop()
      }
    },
    60_000
  )

  it('requires credentials by default', async () => {
    const port = await freePort()
    const server = await startServer(`${BIN}/node`, {
      args: ['src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
      port,
    })
    try {
      expect((await fetch(`${server.url}/exit42`, { method: 'POST' })).status).toBe(401)
    } finally {
      await server.stop()
    }
  })
})
