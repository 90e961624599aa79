import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../../../src/node/exec/run-command.ts'
import { createNativeHelper } from '../../../../src/node/process/native-helper.ts'
import { createNodeHelper } from '../../../../src/node/process/node-helper.ts'
import { directSpawner, type Spawner } from '../../../../src/node/process/spawner.ts'
import { createFixtureRoot, type FixtureRoot } from '../exec/fixture-root.ts'
import { helperPids } from './helper-pids.ts'

let fixture: FixtureRoot

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

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
    ['native', createNativeHelper],
    ['Node', createNodeHelper],
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
  ['through the native spawn helper', createNativeHelper],
  [
    'through the Node spawn helper (streams spawn directly, watched)',
    () => {
      const helper = createNodeHelper()
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
