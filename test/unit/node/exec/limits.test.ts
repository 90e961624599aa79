import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { problemOf } from '../../app-harness.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, readPids, running } from './fixture-root.ts'

let fixture: FixtureRoot
let t: ExecTestApp
let pidCount = 0

beforeAll(() => {
  fixture = createFixtureRoot()
  t = buildExecApp(fixture.root, {
    FLOWGATE_EXEC_TIMEOUT_MS: '5000',
    FLOWGATE_EXEC_KILL_GRACE_MS: '200',
    FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '64kb',
    FLOWGATE_EXEC_MAX_STDIN_BYTES: '1kb',
    FLOWGATE_EXEC_MAX_ARGS: '3',
    FLOWGATE_EXEC_MAX_ENV_VARS: '2',
    FLOWGATE_EXEC_MAX_ARGV_BYTES: '2kb',
    FLOWGATE_EXEC_MAX_CONCURRENT: '3',
    FLOWGATE_EXEC_MAX_CONCURRENT_PER_COMMAND: '2',
  })
})
afterAll(() => fixture.remove())

const pidfile = () => join(fixture.base, `pids-${++pidCount}`)

describe('timeouts', () => {
  it('kills the whole process group at the timeout and reports timed_out with -15', async () => {
    const file = pidfile()
    const startedAt = Date.now()
    const response = await t.run('spawner', { environment: { PIDFILE: file }, timeout: 1.5 })
    const body = (await response.json()) as { return: number; timed_out?: boolean }
    expect(Date.now() - startedAt).toBeLessThan(6000)
    expect(body).toMatchObject({ return: -15, timed_out: true })
    const [leader, grandchild] = await readPids(file)
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('lets a request only lower the configured timeout', async () => {
    const startedAt = Date.now()
    const response = await t.run('sleeper', { args: ['30'], timeout: 3600 })
    expect(((await response.json()) as { timed_out?: boolean }).timed_out).toBe(true)
    const elapsed = Date.now() - startedAt
    expect(elapsed).toBeGreaterThanOrEqual(4900)
    expect(elapsed).toBeLessThan(12000)
  }, 20_000)

  it('kills leftovers in the group when the command itself exits', async () => {
    const file = pidfile()
    const response = await t.run('spawner', { args: ['0'], environment: { PIDFILE: file } })
    expect(((await response.json()) as { return: number }).return).toBe(0)
    const [leader, grandchild] = await readPids(file)
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })
})

describe('client disconnect and shutdown', () => {
  it('kills the group when the client goes away', async () => {
    const file = pidfile()
    const controller = new AbortController()
    const pending = Promise.resolve(
      t.app.request('/exec/spawner', {
        method: 'POST',
        body: JSON.stringify({ environment: { PIDFILE: file } }),
        headers: { 'content-type': 'application/json' },
        signal: controller.signal,
      })
    ).catch(() => undefined)
    const [leader, grandchild] = await readPids(file)
    expect(running(grandchild ?? 0)).toBe(true)
    controller.abort()
    await pending
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('kills every running group on shutdown and waits for them', async () => {
    const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_KILL_GRACE_MS: '200' })
    const file = pidfile()
    const pending = app.run('spawner', { environment: { PIDFILE: file } })
    const [leader] = await readPids(file)
    await app.exec.stop()
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(((await (await pending).json()) as { return: number }).return).toBe(-15)
  })
})

describe('output cap', () => {
  it('keeps exactly max_output_bytes, kills the command and reports truncated', async () => {
    const response = await t.run('endless', { stdout: { capture: true } })
    const body = (await response.json()) as {
      stdout: { content: string }
      truncated?: boolean
      return: number
    }
    expect(body.truncated).toBe(true)
    expect(body.stdout.content.length).toBe(64 * 1024)
    expect(body.return).toBe(-15)
  })

  it('does not truncate output under the cap', async () => {
    const response = await t.run('flood', { args: ['65536'], stdout: { capture: true } })
    const body = (await response.json()) as { stdout: { content: string }; truncated?: boolean }
    expect(body.truncated).toBeUndefined()
    expect(body.stdout.content).toBe('x'.repeat(65536))
  })

  it('discards uncaptured output without counting or buffering it', async () => {
    const response = await t.run('flood', { args: ['1000000'] })
    expect(await response.json()).toEqual({ return: 0, stderr: null, stdout: null })
  })
})

describe('input limits', () => {
  it.each([
    ['too many arguments', { args: ['1', '2', '3', '4'] }, '/args'],
    ['too many variables', { environment: { A: '1', B: '2', C: '3' } }, '/environment'],
    ['arguments and environment too large', { args: ['x'.repeat(3000)] }, '/args'],
    ['decoded stdin too large', { stdin: { content: 'x'.repeat(1025) } }, '/stdin/content'],
  ])('answers 400 for %s', async (_name, body, where) => {
    const problem = await problemOf(await t.run('echo', body))
    expect(problem.errors?.map((error) => error.where)).toContain(where)
  })
})

describe('concurrency', () => {
  it('answers 429 with Retry-After when a command runs too often at once, and frees the slot after', async () => {
    const runs = [t.run('sleeper', { args: ['2'] }), t.run('sleeper', { args: ['2'] })]
    await new Promise((resolve) => setTimeout(resolve, 400))
    const refused = await t.run('sleeper', { args: ['2'] })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect((await problemOf(refused)).code).toBe('FG_ERR_EXEC_BUSY')
    await Promise.all(runs)
    expect((await t.run('sleeper', { args: ['0'] })).status).toBe(200)
  })

  it('answers 429 when all global slots are taken, whatever the command', async () => {
    const runs = [
      t.run('sleeper', { args: ['2'] }),
      t.run('sleeper', { args: ['2'] }),
      t.run('spawner', { args: ['2'], environment: { PIDFILE: pidfile() } }),
    ]
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect((await t.run('exit42')).status).toBe(429)
    await Promise.all(runs)
    expect((await t.run('exit42')).status).toBe(200)
  })
})
