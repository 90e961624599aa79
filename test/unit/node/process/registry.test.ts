import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCommand } from '../../../../src/node/exec/run-command.ts'
import { ProcessRegistry } from '../../../../src/node/process/registry.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, readPids, running } from '../exec/fixture-root.ts'

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

const sleeper = (seconds: string, script = 'sleeper', env: Record<string, string> = {}) =>
  runCommand({
    file: join(fixture.root, script),
    argv0: script,
    args: [seconds],
    env,
    cwd: fixture.root,
    stdin: undefined,
    capture: { stdout: false, stderr: false },
    timeoutMs: 60_000,
    killGraceMs: 200,
    maxOutputBytes: 1024,
  })

describe('the runs in flight', () => {
  it('forgets a run once it ends', async () => {
    const runs = new ProcessRegistry()
    const run = sleeper('0')
    runs.track(run)
    expect(runs.size).toBe(1)
    await run.done
    await Promise.resolve()
    expect(runs.size).toBe(0)
  })

  it('kills every group on close and resolves only once all have ended', async () => {
    const runs = new ProcessRegistry()
    const pidfile = join(fixture.base, 'registry-pids')
    // `spawner` leaves a second sleep in its group: the whole group must go.
    const started = [sleeper('30', 'spawner', { PIDFILE: pidfile }), sleeper('30')]
    for (const run of started) runs.track(run)
    await Promise.all(started.map((run) => run.started))
    const [leader, grandchild] = await readPids(pidfile)
    await runs.closeAll()
    expect(runs.size).toBe(0)
    const results = await Promise.all(started.map((run) => run.done))
    expect(results.map((result) => result.returnCode)).toEqual([-15, -15])
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('kills a run that starts after close began', async () => {
    const runs = new ProcessRegistry()
    await runs.closeAll()
    const late = sleeper('30')
    runs.track(late)
    const result = await late.done
    expect(result.returnCode).toBe(-15)
    expect(result.timedOut).toBe(false)
  })
})
