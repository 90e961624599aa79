import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './processes.ts'

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

/** Runs the CLI with a clean environment (only PATH and what the test sets). */
function flowgate(args: string[], env: Record<string, string> = {}, cwd = ROOT): Run {
  const result = spawnSync(process.execPath, [join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 30_000,
  })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'flowgate-cli-'))
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

const emptyDir = () => mkdtempSync(join(tmpdir(), 'flowgate-cwd-'))

describe('flowgate command line', () => {
  it.each([
    [['--help']],
    [['serve', '--help']],
    [['config', 'check', '--help']],
    [['config', '--help']],
    [['version', '--help']],
  ])('prints help for %j on stdout and exits 0', (args) => {
    const run = flowgate(args)
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^Usage: flowgate/m)
    expect(run.stderr).toBe('')
  })

  it.each([
    [[], /missing command/],
    [['launch'], /unknown command 'launch'/],
    [['config'], /missing config command/],
    [['config', 'show'], /unknown config command 'show'/],
    [['serve', '--verbose'], /Unknown option '--verbose'/],
    [['config', 'check', 'extra'], /Unexpected argument 'extra'/],
    [['version', '--json'], /Unknown option '--json'/],
  ])('refuses %j with usage on stderr and exit 2', (args, message) => {
    const run = flowgate(args)
    expect(run.status).toBe(2)
    expect(run.stderr).toMatch(message)
    expect(run.stdout).toBe('')
  })

  it('prints the version and runtime', () => {
    const run = flowgate(['version'])
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^flowgate \d+\.\d+\.\d+ \(node 22\./)
  })

  it('config check exits 2 naming the environment variable of a bad value', () => {
    const run = flowgate(['config', 'check'], { FLOWGATE_SERVER_PORT: 'eighty' }, emptyDir())
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('env FLOWGATE_SERVER_PORT')
    expect(run.stderr).not.toMatch(/\n\s+at /)
  })

  it('config check exits 2 naming a compatibility variable', () => {
    const run = flowgate(['config', 'check'], { USER_FACING_PORT: '70000' }, emptyDir())
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('env USER_FACING_PORT')
  })

  it('config check exits 2 with file, line and column for malformed TOML', () => {
    const file = tempFile('bad.toml', '[server]\nport = 8088\nhost = "unterminated\n')
    const run = flowgate(['config', 'check', '--config', file])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(`${file}:3:`)
    expect(run.stderr).toMatch(/malformed TOML/)
  })

  it('config check exits 2 with the line of a bad value in the file', () => {
    const file = tempFile('value.toml', '# comment\n[log]\nlevel = "loud"\n')
    const run = flowgate(['config', 'check', '--config', file])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(`${file}:3:9`)
    expect(run.stderr).toContain('log.level')
  })

  it('config check exits 2 for a named file that does not exist', () => {
    const run = flowgate(['config', 'check'], { FLOWGATE_CONFIG: '/nonexistent/flowgate.toml' }, emptyDir())
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('env FLOWGATE_CONFIG')
    expect(run.stderr).toContain('no such file')
  })

  it('config check reads ./flowgate.toml when present and shows each source', () => {
    const cwd = emptyDir()
    writeFileSync(join(cwd, 'flowgate.toml'), '[server]\nport = 9001\n')
    const run = flowgate(
      ['config', 'check', '--log-level', 'debug'],
      { PROXY_TARGET: 'http://conductor:8080' },
      cwd
    )
    expect(run.status).toBe(0)
    expect(run.stdout).toMatch(/^port = 9001 {2}# .*flowgate\.toml:2:8$/m)
    expect(run.stdout).toMatch(/^url = "http:\/\/conductor:8080" {2}# env PROXY_TARGET$/m)
    expect(run.stdout).toMatch(/^level = "debug" {2}# flag --log-level$/m)
  })

  it('config check never prints a secret, even in JSON', () => {
    const env = {
      KEYCLOAK_ADMIN_CLIENT_PASSWORD: 'hunter2-secret',
      PROXY_TARGET: 'http://user:pw-in-url@conductor:8080',
    }
    for (const args of [
      ['config', 'check'],
      ['config', 'check', '--json'],
    ]) {
      const run = flowgate(args, env, emptyDir())
      expect(run.status).toBe(0)
      expect(run.stdout).not.toContain('hunter2-secret')
      expect(run.stdout).not.toContain('pw-in-url')
      expect(run.stdout).toContain('[redacted]')
    }
  })

  it('config check --json prints the resolved configuration as JSON', () => {
    const run = flowgate(['config', 'check', '--json', '--set', 'conductor.timeout_ms=1234'], {}, emptyDir())
    expect(run.status).toBe(0)
    const parsed = JSON.parse(run.stdout) as {
      config: { conductor: { timeout_ms: number } }
      sources: Record<string, string>
    }
    expect(parsed.config.conductor.timeout_ms).toBe(1234)
    expect(parsed.sources['conductor.timeout_ms']).toBe('flag --set conductor.timeout_ms')
  })

  it('refuses a malformed --set with exit 2', () => {
    const run = flowgate(['config', 'check', '--set', 'port=1'], {}, emptyDir())
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('expected --set section.key=value')
  })

  it('serve exits 2 before listening when a setting is bad', () => {
    const run = flowgate(['serve', '--port=70000'], {}, emptyDir())
    expect(run.status).toBe(2)
    expect(run.stderr).toContain('flag --port')
  })

  it('the bin launcher runs on the machine Node and still answers', () => {
    const path = (process.env.PATH ?? '').split(':').filter((dir) => !dir.includes('node_modules'))
    const result = spawnSync('node', [join(ROOT, 'bin/flowgate.js'), 'version'], {
      encoding: 'utf8',
      env: { PATH: path.join(':') },
    })
    expect(result.status).toBe(0)
    expect(result.stdout).toMatch(/^flowgate \d+\.\d+\.\d+ \(node 22\./)
  })
})
