import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../../src/config/resolve.ts'
import { ConfigError } from '../../../../src/config/sources.ts'
import { resolveExecSettings } from '../../../../src/node/exec/settings.ts'
import { problemOf } from '../../app-harness.ts'
import { buildExecApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

let fixture: FixtureRoot

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

function settings(env: Record<string, string>, host = '127.0.0.1') {
  const { config } = resolveConfig({
    env: { FLOWGATE_EXEC_ENABLED: 'true', FLOWGATE_EXEC_AUTH: 'none', ...env },
  })
  return resolveExecSettings({ config, env: {}, cwd: fixture.base, host })
}

function configFile(text: string): string {
  const path = join(fixture.base, `httpexec-${Math.random().toString(36).slice(2)}.toml`)
  writeFileSync(path, text)
  return path
}

describe('exec settings at start-up', () => {
  it('takes the real path of a relative root, from the working directory (as httpexec)', () => {
    expect(settings({ HTTPEXEC_EXEC_ROOT: 'root' }).root).toBe(fixture.root)
  })

  it('reads EXEC_ROOT and FOLLOW_LINKS from an httpexec file (HTTPEXEC_CONFIG_PATH)', () => {
    const path = configFile(`EXEC_ROOT = "${fixture.root}"\nFOLLOW_LINKS = true\nLOGGING_LEVEL = "INFO"\n`)
    const resolved = settings({ HTTPEXEC_CONFIG_PATH: path })
    expect(resolved.root).toBe(fixture.root)
    expect(resolved.followLinks).toBe(true)
  })

  it('lets the environment win over the httpexec file, as httpexec does', () => {
    const path = configFile(`EXEC_ROOT = "/nonexistent"\nFOLLOW_LINKS = true\n`)
    const resolved = settings({
      HTTPEXEC_CONFIG_PATH: path,
      HTTPEXEC_EXEC_ROOT: fixture.root,
      HTTPEXEC_FOLLOW_LINKS: '0',
    })
    expect(resolved.root).toBe(fixture.root)
    expect(resolved.followLinks).toBe(false)
  })

  it.each([
    [
      'a missing root (httpexec: 500 on every request)',
      { HTTPEXEC_EXEC_ROOT: '/nonexistent/root' },
      'exec.root',
    ],
    ['no root and no allow-list', {}, 'exec.root'],
    ['a root that is a file', { HTTPEXEC_EXEC_ROOT: 'root/echo' }, 'exec.root'],
    [
      'a missing httpexec file (httpexec: 500 on every request)',
      { HTTPEXEC_CONFIG_PATH: '/nonexistent.toml' },
      'exec.config_path',
    ],
    [
      'a malformed token entry',
      { HTTPEXEC_EXEC_ROOT: 'root', FLOWGATE_EXEC_TOKENS: 'ci:plaintext:*' },
      'exec.tokens[0]',
    ],
    [
      'a short HMAC key',
      { HTTPEXEC_EXEC_ROOT: 'root', FLOWGATE_EXEC_HMAC_KEYS: 'k:short:*' },
      'exec.hmac_keys[0]',
    ],
    [
      'a missing workdir',
      { HTTPEXEC_EXEC_ROOT: 'root', FLOWGATE_EXEC_WORKDIR: '/nonexistent' },
      'exec.workdir',
    ],
  ])('stops start-up for %s, naming the setting', (_name, env, source) => {
    expect(() => settings(env)).toThrow(ConfigError)
    try {
      settings(env)
    } catch (error) {
      expect((error as ConfigError).issues[0]?.source).toContain(source)
    }
  })

  it('stops start-up for a wrongly typed FOLLOW_LINKS in the httpexec file', () => {
    const path = configFile(`EXEC_ROOT = "${fixture.root}"\nFOLLOW_LINKS = "yes"\n`)
    expect(() => settings({ HTTPEXEC_CONFIG_PATH: path })).toThrow(/FOLLOW_LINKS/)
  })
})

describe('allow-list mode (exec.commands)', () => {
  const commands = () =>
    JSON.stringify({
      greet: { path: join(fixture.root, 'args'), args: ['--fixed'], arg_pattern: '[a-z]+', max_args: 2 },
      'tools/echo': { path: join(fixture.root, 'echo'), allow_options: true },
    })

  it('runs a listed command with its fixed leading arguments', async () => {
    const app = buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands() })
    const response = await app.run('greet', { args: ['abc'], stdout: { capture: true } })
    expect(((await response.json()) as { stdout: { content: string } }).stdout.content).toBe(
      '[--fixed]\n[abc]\n'
    )
  })

  it.each([
    ['an argument outside the pattern', { args: ['ABC'] }, '/args/0'],
    ['an option-looking argument', { args: ['-rf'] }, '/args/0'],
    ['too many arguments for the command', { args: ['a', 'b', 'c'] }, '/args'],
  ])('answers 400 for %s', async (_name, body, where) => {
    const app = buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands() })
    expect((await problemOf(await app.run('greet', body))).errors?.[0]?.where).toBe(where)
  })

  it('allows options where the entry says so', async () => {
    const app = buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands() })
    expect((await app.run('tools/echo', { args: ['-e', 'PATH'] })).status).toBe(200)
  })

  it('answers 404 for anything not listed, even files that exist', async () => {
    const app = buildExecApp(undefined, { FLOWGATE_EXEC_COMMANDS: commands() })
    expect((await app.run('echo')).status).toBe(404)
    expect((await app.run('..%2Froot%2Fecho')).status).toBe(404)
  })

  it.each(['root/echo', 'echo', './root/echo'])(
    'stops start-up for a relative path (%s), which would depend on the working directory',
    (path) => {
      const bad = JSON.stringify({ x: { path } })
      expect(() => settings({ FLOWGATE_EXEC_COMMANDS: bad })).toThrow(/absolute path/)
    }
  )

  it('stops start-up for an entry whose file is not executable', () => {
    const bad = JSON.stringify({ x: { path: join(fixture.root, 'noexec') } })
    expect(() => settings({ FLOWGATE_EXEC_COMMANDS: bad })).toThrow(/not an executable/)
  })

  it('stops start-up when both a root and an allow-list are set', () => {
    expect(() => settings({ HTTPEXEC_EXEC_ROOT: 'root', FLOWGATE_EXEC_COMMANDS: commands() })).toThrow(
      /either/
    )
  })
})
