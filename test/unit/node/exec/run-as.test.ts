import { chmodSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../../src/config/resolve.ts'
import { ConfigError } from '../../../../src/config/sources.ts'
import { resolveExecSettings } from '../../../../src/node/exec/settings.ts'
import { resolveRunAs } from '../../../../src/node/process/run-as.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/usr/sbin/nologin\n'
const GROUP = 'root:x:0:\nnogroup:x:65534:\nstaff:x:50:\n'
const AS_ROOT = { passwd: PASSWD, group: GROUP, uid: 0, gid: 0 }
const isRoot = process.getuid?.() === 0

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
  // mkdtemp makes the base 0700: the run_as user must reach the root and work in the base.
  chmodSync(fixture.base, 0o755)
  // Prints its ids, then tries flowgate's environment and a file only flowgate's user may read.
  writeFileSync(
    join(fixture.root, 'whoami'),
    '#!/bin/sh\nid -u; id -g; id -G\ncat "/proc/$1/environ" >/dev/null 2>&1 && echo environ-read || echo environ-denied\n' +
      'cat "/proc/$PPID/environ" >/dev/null 2>&1 && echo parent-read || echo parent-denied\n' +
      'cat "$2" >/dev/null 2>&1 && echo secret-read || echo secret-denied\n'
  )
  chmodSync(join(fixture.root, 'whoami'), 0o755)
  writeFileSync(join(fixture.base, 'secret.toml'), 'token = "x"\n', { mode: 0o600 })
})
afterAll(() => fixture.remove())

describe('exec.run_as at start-up', () => {
  it.each([
    ['a user name', 'nobody', { uid: 65534, gid: 65534 }],
    ['a user and group name', 'nobody:staff', { uid: 65534, gid: 50 }],
    ['a numeric uid with a passwd entry', '65534', { uid: 65534, gid: 65534 }],
    ['a numeric uid and gid without entries', '4000:4000', { uid: 4000, gid: 4000 }],
    ['a user name and numeric gid', 'nobody:7', { uid: 65534, gid: 7 }],
  ])('resolves %s once, to ids', (_name, spec, ids) => {
    expect(resolveRunAs(spec, AS_ROOT)).toEqual(ids)
  })

  it.each([
    ['an unknown user', 'no-such-user', AS_ROOT, /user "no-such-user" does not exist/],
    ['an unknown group', 'nobody:no-such-group', AS_ROOT, /group "no-such-group" does not exist/],
    ['a numeric uid with no entry and no group', '4000', AS_ROOT, /no \/etc\/passwd entry/],
    ['another user while not root', 'nobody', { ...AS_ROOT, uid: 1000, gid: 1000 }, /not root/],
    ['another group while not root', '1000:0', { ...AS_ROOT, uid: 1000, gid: 1000 }, /not root/],
  ])('refuses %s, naming exec.run_as', (_name, spec, input, message) => {
    let error: unknown
    try {
      resolveRunAs(spec, input)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).issues[0]?.source).toBe('exec.run_as')
    expect((error as ConfigError).message).toMatch(message)
  })

  it("accepts flowgate's own uid and gid while not root", () => {
    expect(resolveRunAs('1000:1000', { ...AS_ROOT, uid: 1000, gid: 1000 })).toEqual({ uid: 1000, gid: 1000 })
  })

  it('stops start-up for an unknown user in the [exec] settings', () => {
    const { config } = resolveConfig({
      env: {
        FLOWGATE_EXEC_ENABLED: 'true',
        FLOWGATE_EXEC_AUTH: 'none',
        FLOWGATE_EXEC_ROOT: fixture.root,
        FLOWGATE_EXEC_RUN_AS: 'no-such-user-flowgate',
      },
    })
    expect(() => resolveExecSettings({ config, env: {}, cwd: fixture.base, host: '127.0.0.1' })).toThrow(
      /exec\.run_as/
    )
  })

  it.each(['a:b:c', 'us er', ''])('rejects the malformed value %j in the config schema', (value) => {
    expect(() =>
      resolveConfig({ env: { FLOWGATE_EXEC_ENABLED: 'true', FLOWGATE_EXEC_RUN_AS: value } })
    ).toThrow(/exec\.run_as/)
  })
})

describe.runIf(isRoot).each([
  ['through the native spawn helper', 'native'],
  ['through the Node spawn helper', 'node'],
  ['directly', 'off'],
])('commands started %s with run_as = "nobody"', (_name, helper) => {
  let t: ExecTestApp
  beforeAll(() => {
    t = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_SPAWN_HELPER: helper,
      FLOWGATE_EXEC_RUN_AS: 'nobody',
      FLOWGATE_EXEC_WORKDIR: fixture.base,
    })
  })
  afterAll(() => t.exec.stop())

  const lines = async (body: Record<string, unknown>) => {
    const response = await t.run('whoami', {
      args: [String(process.pid), join(fixture.base, 'secret.toml')],
      stdout: { capture: true },
      ...body,
    })
    const result = (await response.json()) as { return: number; stdout: { content: string } }
    expect(result.return).toBe(0)
    return result.stdout.content.trim().split('\n')
  }

  it('runs as uid 65534 with its primary group and no supplementary groups', async () => {
    const [uid, gid, groups] = await lines({})
    expect(uid).toBe('65534')
    expect(gid).toBe('65534')
    expect(groups).toBe('65534')
  })

  it("cannot read flowgate's /proc/<pid>/environ, its parent's (flowgate or the helper) nor private files", async () => {
    const output = await lines({})
    expect(output).toContain('environ-denied')
    expect(output).toContain('parent-denied')
    expect(output).toContain('secret-denied')
  })

  it('streams (started directly, watched by the helper) as uid 65534 too', async () => {
    const response = await t.run(
      'whoami',
      { args: [String(process.pid), join(fixture.base, 'secret.toml')], stdout: { capture: true } },
      { accept: 'application/x-ndjson' }
    )
    const text = await response.text()
    expect(text).toContain('65534')
    expect(text).toContain('environ-denied')
  })
})

describe.runIf(isRoot)('commands without run_as (httpexec-compatible)', () => {
  it("run as flowgate's user and can read its environment", async () => {
    const t = buildExecApp(fixture.root, { FLOWGATE_EXEC_SPAWN_HELPER: 'false' })
    const response = await t.run('whoami', {
      args: [String(process.pid), join(fixture.base, 'secret.toml')],
      stdout: { capture: true },
    })
    const output = ((await response.json()) as { stdout: { content: string } }).stdout.content
    expect(output.split('\n')[0]).toBe('0')
    expect(output).toContain('environ-read')
    expect(output).toContain('parent-read')
    await t.exec.stop()
  })
})
