import { chmodSync, chownSync, linkSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { modeLetsWrite } from '../../../../src/node/exec/root-warnings.ts'
import { buildExecApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

// The fixture tree belongs to the test user, so everything in it is writable by "the service".
let fixture: FixtureRoot

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

const warnings = (app: ReturnType<typeof buildExecApp>) =>
  app
    .logs()
    .filter((line) => line.msg === 'exec root warning')
    .map((line) => String((line as { warning?: unknown }).warning))

describe('start-up warnings', () => {
  it('names writable directories inside the root, not only the root (a swapped directory defeats the path check)', () => {
    const writable = warnings(buildExecApp(fixture.root)).find((warning) => warning.startsWith('writable'))
    expect(writable).toContain(fixture.root)
    expect(writable).toContain(join(fixture.root, 'sub'))
  })

  it('names writable allow-listed files in allow-list mode', () => {
    const commands = JSON.stringify({ greet: { path: join(fixture.root, 'args') } })
    const found = warnings(buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands }))
    expect(found.find((warning) => warning.startsWith('writable'))).toContain(join(fixture.root, 'args'))
  })

  it('leaves the writable warning out with exec.warn_writable = false, and still names interpreters', () => {
    const found = warnings(buildExecApp(fixture.root, { FLOWGATE_EXEC_WARN_WRITABLE: 'false' }))
    expect(found.filter((warning) => warning.startsWith('writable'))).toEqual([])
    expect(found.some((warning) => warning.startsWith('interpreters'))).toBe(true)
  })
})

describe('the interpreter warning', () => {
  const interpreters = (app: ReturnType<typeof buildExecApp>) =>
    warnings(app).find((warning) => warning.startsWith('interpreters')) ?? ''
  let tree: FixtureRoot
  beforeAll(() => {
    tree = createFixtureRoot()
  })
  afterAll(() => tree.remove())

  it('sees through a link whose name hides the interpreter (shlink -> /bin/sh), and a chain of them', () => {
    symlinkSync('/bin/sh', join(tree.root, 'shlink'))
    symlinkSync(join(tree.root, 'shlink'), join(tree.root, 'sub', 'again'))
    const warning = interpreters(buildExecApp(tree.root))
    expect(warning).toContain(`shlink (${realpathSync('/bin/sh')})`)
    expect(warning).toContain(`again (${realpathSync('/bin/sh')})`)
    // Links to ordinary commands are not named.
    expect(warning).not.toContain('link_in')
  })

  it('sees through a link in allow-list mode', () => {
    const commands = JSON.stringify({ tool: { path: join(tree.root, 'shlink') } })
    expect(interpreters(buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands }))).toContain('shlink')
  })

  it('recognises a hard link to an interpreter by file identity', (context) => {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-hardlink-'))
    try {
      try {
        linkSync(realpathSync('/bin/sh'), join(dir, 'tool'))
      } catch {
        // Another file system, or hard links to others' files forbidden: nothing to test here.
        context.skip()
      }
      expect(interpreters(buildExecApp(dir))).toContain('tool (the same file as ')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('names only what is an interpreter: the fixture root holds one, a script called env', () => {
    expect(interpreters(buildExecApp(fixture.root))).toBe(
      'interpreters or wrappers can run arbitrary code: env'
    )
  })
})

describe('modeLetsWrite: what a run_as user (no supplementary groups) may write', () => {
  const ids = { uid: 5000, gid: 4000 }
  it.each([
    ['owned by another user, 0755', { uid: 0, gid: 0, mode: 0o40755 }, false],
    ['world-writable', { uid: 0, gid: 0, mode: 0o40777 }, true],
    ['owned by it, even read-only (its owner may chmod it)', { uid: 5000, gid: 0, mode: 0o100444 }, true],
    ['group-writable for its primary group', { uid: 0, gid: 4000, mode: 0o40775 }, true],
    [
      'group-writable for another group (supplementary groups are dropped)',
      { uid: 0, gid: 4001, mode: 0o40775 },
      false,
    ],
    [
      'other-writable but its group is read-only (the group class decides)',
      { uid: 0, gid: 4000, mode: 0o40757 },
      false,
    ],
  ])('%s: %s', (_name, stats, expected) => {
    expect(modeLetsWrite(stats, ids)).toBe(expected)
  })

  it('treats root as able to write anything', () => {
    expect(modeLetsWrite({ uid: 1, gid: 1, mode: 0o40555 }, { uid: 0, gid: 0 })).toBe(true)
  })
})

describe.runIf(process.getuid?.() === 0)('start-up warnings with exec.run_as (as root)', () => {
  let tree: FixtureRoot
  beforeAll(() => {
    tree = createFixtureRoot()
    // The service (root) owns everything; the run_as user 5000:4000 gets write access in two places.
    chownSync(join(tree.root, 'sub'), 5000, 0)
    chownSync(join(tree.root, 'adir'), 0, 4000)
    chmodSync(join(tree.root, 'adir'), 0o775)
    chownSync(join(tree.root, 'echo'), 0, 4000)
    chmodSync(join(tree.root, 'echo'), 0o757)
    chmodSync(join(tree.root, 'args'), 0o777)
  })
  afterAll(() => tree.remove())

  const found = () =>
    warnings(buildExecApp(tree.root, { FLOWGATE_EXEC_RUN_AS: '5000:4000' })).find((warning) =>
      warning.startsWith('writable')
    ) ?? ''

  it("names what the run_as user can write, not what flowgate's user (root) can", () => {
    const warning = found()
    expect(warning).toContain('exec.run_as user (uid 5000, gid 4000)')
    expect(warning).toContain(join(tree.root, 'sub'))
    expect(warning).toContain(join(tree.root, 'adir'))
    expect(warning).toContain(join(tree.root, 'args'))
    expect(warning).not.toContain(`${tree.root},`)
    expect(warning).not.toContain(join(tree.root, 'echo'))
  })

  it('gives no writability warning for a tree the run_as user cannot write', () => {
    chownSync(join(tree.root, 'sub'), 0, 0)
    chownSync(join(tree.root, 'adir'), 0, 0)
    chmodSync(join(tree.root, 'args'), 0o755)
    expect(found()).toBe('')
  })
})
