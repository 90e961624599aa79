import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { problemOf } from '../../app-harness.ts'
import { helperPids } from '../process/helper-pids.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, readPids, running } from './fixture-root.ts'

let fixture: FixtureRoot
let pidCount = 0
const LIMITS = { FLOWGATE_EXEC_KILL_GRACE_MS: '200', FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '4kb' }

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

describe.each([
  ['through the native spawn helper', 'native'],
  ['through the Node spawn helper', 'node'],
  ['directly', 'off'],
])('starting commands %s', (_name, helper) => {
  let t: ExecTestApp
  beforeAll(() => {
    t = buildExecApp(fixture.root, { ...LIMITS, FLOWGATE_EXEC_SPAWN_HELPER: helper })
  })
  afterAll(() => t.exec.stop())

  it('round-trips stdin, arguments and the environment', async () => {
    const response = await t.run('echo', {
      args: ['-e', 'FOO'],
      stdin: { content: '//5iaW5hcnk=', encode: 'base64' },
      stdout: { capture: true, encode: 'base64' },
      stderr: { capture: true },
      environment: { FOO: 'bar' },
    })
    expect(await response.json()).toEqual({
      return: 0,
      stderr: { content: 'FOO=bar\n', encode: null },
      stdout: { content: '//5iaW5hcnk=', encode: 'base64' },
    })
  })

  it('reports signals as -N and ignores a broken stdin pipe', async () => {
    expect(((await (await t.run('killself')).json()) as { return: number }).return).toBe(-15)
    const response = await t.run('exit42', { stdin: { content: 'x'.repeat(1024 * 1024) } })
    expect(((await response.json()) as { return: number }).return).toBe(42)
  })

  it('kills the group at the timeout', async () => {
    const file = join(fixture.base, `spawner-pids-${++pidCount}`)
    const response = await t.run('spawner', { environment: { PIDFILE: file }, timeout: 1.5 })
    expect(await response.json()).toEqual({ return: -15, stderr: null, stdout: null, timed_out: true })
    const [leader, grandchild] = await readPids(file)
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('truncates at the output cap', async () => {
    const body = (await (await t.run('endless', { stdout: { capture: true } })).json()) as {
      stdout: { content: string }
      truncated?: boolean
    }
    expect(body.truncated).toBe(true)
    expect(body.stdout.content.length).toBe(4096)
  })

  it('stops reading at the output cap, so a command ignoring SIGTERM cannot flood until the SIGKILL', async () => {
    const patient = buildExecApp(fixture.root, {
      ...LIMITS,
      FLOWGATE_EXEC_KILL_GRACE_MS: '8000',
      FLOWGATE_EXEC_SPAWN_HELPER: helper,
    })
    const started = Date.now()
    const response = patient.run('stubborn', { stdout: { capture: true } })
    const body = (await (await response).json()) as { return: number; truncated?: boolean }
    await patient.exec.stop()
    // Its next write fails (EPIPE) and it exits long before the SIGKILL (-9) would come.
    expect(body.truncated).toBe(true)
    expect(body.return).not.toBe(-9)
    expect(Date.now() - started).toBeLessThan(4000)
  }, 15_000)

  it('answers 500 when the kernel cannot start the file', async () => {
    expect((await problemOf(await t.run('badinterp'))).code).toBe('FG_ERR_EXEC_SPAWN_FAILED')
  })
})

describe.each(['native', 'node'])('the %s spawn helper', (helper) => {
  const settings = { ...LIMITS, FLOWGATE_EXEC_SPAWN_HELPER: helper }
  it('is one long-lived process, not one per command', async () => {
    const t = buildExecApp(fixture.root, settings)
    await Promise.all([t.run('exit42'), t.run('exit42'), t.run('exit42')])
    expect(helperPids()).toHaveLength(1)
    await t.exec.stop()
    expect(helperPids()).toHaveLength(0)
  })

  it('when it dies, kills the groups it started, fails their runs and is started again', async () => {
    const t = buildExecApp(fixture.root, settings)
    const file = join(fixture.base, `spawner-pids-${++pidCount}`)
    const pending = t.run('spawner', { environment: { PIDFILE: file } })
    const [leader] = await readPids(file)
    const pids = helperPids()
    expect(pids).toHaveLength(1)
    process.kill(pids[0] ?? Number.NaN, 'SIGKILL')
    expect((await pending).status).toBe(500)
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect((await t.run('exit42')).status).toBe(200)
    await t.exec.stop()
  })
})

describe('a streamed run through the native helper when the helper dies', () => {
  it('ends its stream with an error event and still writes its audit line', async () => {
    const t = buildExecApp(fixture.root, { ...LIMITS, FLOWGATE_EXEC_SPAWN_HELPER: 'native' })
    const file = join(fixture.base, `spawner-pids-${++pidCount}`)
    const response = await t.run(
      'spawner',
      { environment: { PIDFILE: file }, stdout: { capture: true } },
      { accept: 'application/x-ndjson' }
    )
    const [leader] = await readPids(file)
    process.kill(helperPids()[0] ?? Number.NaN, 'SIGKILL')
    expect((await response.text()).trim().split('\n').at(-1)).toBe(
      '{"event":"error","code":"FG_ERR_INTERNAL"}'
    )
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(t.audits().filter((line) => line.command === 'spawner')).toEqual([
      expect.objectContaining({ status: 200, mode: 'ndjson', code: 'FG_ERR_INTERNAL' }),
    ])
    await t.exec.stop()
  })
})
