import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHelperSpawner } from '../../../../src/node/exec/helper-spawner.ts'
import { createNativeSpawner } from '../../../../src/node/exec/native-spawner.ts'
import { runCommand } from '../../../../src/node/exec/run-command.ts'
import { directSpawner, type Spawner } from '../../../../src/node/exec/spawner.ts'
import { problemOf } from '../../app-harness.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, readPids, running } from './fixture-root.ts'

let fixture: FixtureRoot
let pidCount = 0
const LIMITS = { FLOWGATE_EXEC_KILL_GRACE_MS: '200', FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '4kb' }

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

/** Pids of this process's children running a spawn helper (the Node one or the native one). */
function helperPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        return (
          ppid === process.pid &&
          /spawn-helper\.ts|flowgate-spawn-helper/.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))
        )
      } catch {
        return false
      }
    })
    .map(Number)
}

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

describe('a spawn that Node refuses synchronously (E2BIG for one argument over 128 KiB)', () => {
  const start = (spawner: Spawner, args: string[]) =>
    runCommand({
      file: join(fixture.root, 'exit42'),
      argv0: 'exit42',
      args,
      env: {},
      cwd: fixture.root,
      stdin: undefined,
      capture: { stdout: false, stderr: false },
      timeoutMs: 5000,
      killGraceMs: 200,
      maxOutputBytes: 1024,
      spawner,
    })

  it('fails the run instead of leaving it never started (directly)', async () => {
    const run = start(directSpawner, ['x'.repeat(200_000)])
    await expect(run.started).rejects.toMatchObject({ code: 'E2BIG' })
    await expect(run.done).rejects.toMatchObject({ code: 'E2BIG' })
  })

  it.each([
    ['native', createNativeSpawner],
    ['Node', createHelperSpawner],
  ])('fails the run and keeps the %s spawn helper (and its other runs) alive', async (_name, create) => {
    const helper = create()
    const first = await start(helper.spawner, []).done
    const before = helperPids()
    const refused = start(helper.spawner, ['x'.repeat(200_000)])
    await expect(refused.started).rejects.toMatchObject({ code: 'E2BIG' })
    await expect(refused.done).rejects.toMatchObject({ code: 'E2BIG' })
    expect(helperPids()).toEqual(before)
    expect((await start(helper.spawner, []).done).returnCode).toBe(first.returnCode)
    await helper.stop()
  })
})

describe.each([
  ['directly', () => ({ spawner: directSpawner, stop: async () => {} })],
  ['through the native spawn helper', createNativeSpawner],
  [
    'through the Node spawn helper (streams spawn directly, watched)',
    () => {
      const helper = createHelperSpawner()
      return { spawner: helper.watchedDirect, stop: helper.stop }
    },
  ],
])('a streamed run paused for a stalled reader, %s', (_name, create) => {
  /** `cat /dev/zero`, paused at its first chunk as a body that is full pauses it. */
  const pausedRun = async (spawner: Spawner, timeoutMs: number) => {
    let first: () => void = () => {}
    const chunk = new Promise<void>((resolve) => {
      first = resolve
    })
    const run = runCommand({
      file: join(fixture.root, 'endless'),
      argv0: 'endless',
      args: [],
      env: {},
      cwd: fixture.root,
      stdin: undefined,
      capture: { stdout: true, stderr: false },
      timeoutMs,
      killGraceMs: 100,
      maxOutputBytes: undefined,
      onChunk: () => {
        run.pause()
        first()
      },
      spawner,
    })
    await chunk
    return run
  }

  it('ends when its reader leaves (abandon), though its output was never read to the end', async () => {
    const helper = create()
    const run = await pausedRun(helper.spawner, 60_000)
    run.abandon()
    const result = await run.done
    expect(result.signal ?? result.returnCode).toBeTruthy()
    expect(run.clientLeft()).toBe(true)
    await helper.stop()
  })

  it('ends at its timeout while the reader stays stalled', async () => {
    const helper = create()
    const run = await pausedRun(helper.spawner, 300)
    expect((await run.done).timedOut).toBe(true)
    await helper.stop()
  })

  it('ends when shutdown kills it while the reader stays stalled', async () => {
    const helper = create()
    const run = await pausedRun(helper.spawner, 60_000)
    run.kill()
    expect((await run.done).timedOut).toBe(false)
    await helper.stop()
  })
})
