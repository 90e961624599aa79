import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { problemOf } from '../../app-harness.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

let fixture: FixtureRoot
let strict: ExecTestApp
let links: ExecTestApp

beforeAll(() => {
  fixture = createFixtureRoot()
  strict = buildExecApp(fixture.root)
  links = buildExecApp(fixture.root, { FLOWGATE_EXEC_FOLLOW_LINKS: 'true' })
})
afterAll(() => fixture.remove())

const post = (app: ExecTestApp, path: string) =>
  app.app.request(`/exec/${path}`, {
    method: 'POST',
    body: '{"stdout":{"capture":true}}',
    headers: { 'content-type': 'application/json' },
  })

// The reference's path table (§1.2) plus the Hono traps of §6.8; httpexec ran the "outside" rows
// with FOLLOW_LINKS=true. [path, status without links, status with follow_links]
const PATHS: Array<[string, number, number]> = [
  ['echo', 200, 200],
  ['sub/tool', 200, 200],
  ['nope', 404, 404],
  ['adir', 404, 404],
  ['..%2Fecho', 404, 404],
  ['..%2Foutside%2Ftool', 404, 404],
  ['sub/..%2F..%2Foutside/tool', 404, 404],
  ['..%2Frootsibling%2Ftool', 404, 404],
  ['link_out', 404, 200],
  ['link_in', 200, 200],
  ['dangling', 404, 404],
  ['dirlink/tool', 404, 404],
  ['sublink/tool', 200, 200],
  ['echo%00x', 404, 404],
  ['noexec', 404, 404],
  ['.hidden', 404, 404],
  ['%2Fbin%2Fsh', 404, 404],
  ['%2F%2Fbin/true', 404, 404],
  ['a%5C..%5Cb', 404, 404],
  ['sub%2F.%2Ftool', 404, 404],
  ['sub//tool', 404, 404],
  ['echo/x', 404, 404],
  ['sub/nope', 404, 404],
  ['sub', 404, 404],
  ['sublink/nope', 404, 404],
  ['sub/link_out', 404, 200],
  ['sublink/link_out', 404, 200],
  ['a/b/c/d/e/f/g/h/i', 404, 404],
]

describe('command paths', () => {
  it.each(PATHS)('POST /exec/%s → %i (follow_links false)', async (path, status) => {
    expect((await post(strict, path)).status).toBe(status)
  })

  it.each(PATHS)(
    'POST /exec/%s → _, %i (follow_links true: only the last component may be a link)',
    async (path, _s, status) => {
      expect((await post(links, path)).status).toBe(status)
    }
  )

  it('never runs anything outside the root', async () => {
    for (const [path] of PATHS) {
      const response = await post(links, path)
      if (response.status !== 200) continue
      const body = (await response.json()) as { stdout: { content: string } }
      if (!path.endsWith('link_out')) expect(body.stdout.content).not.toMatch(/outside|sibling/)
    }
  })

  it('answers 404 echoing only the requested name, never the resolved path', async () => {
    const response = await post(strict, '..%2Foutside%2Ftool')
    const problem = await problemOf(response)
    expect(problem.code).toBe('FG_ERR_EXEC_COMMAND_NOT_FOUND')
    expect(problem.detail).toBe('Command "../outside/tool" not found.')
    expect(JSON.stringify(problem)).not.toContain(fixture.base)
  })

  it('answers 404 for a file without the executable bit, before trying to run it (httpexec: 500)', async () => {
    expect((await problemOf(await post(strict, 'noexec'))).code).toBe('FG_ERR_EXEC_COMMAND_NOT_FOUND')
  })

  it('answers 500 with its own code when the kernel cannot start the file', async () => {
    const problem = await problemOf(await post(strict, 'badinterp'))
    expect(problem.status).toBe(500)
    expect(problem.code).toBe('FG_ERR_EXEC_SPAWN_FAILED')
  })
})

const invalid: Array<[string, unknown, string]> = [
  ['args null is fine but a string is not', { args: 'ls' }, '/args'],
  ['a non-string argument', { args: [1] }, '/args/0'],
  ['NUL in an argument', { args: ['a\u0000b'] }, '/args/0'],
  ['a lone surrogate in an argument', { args: ['\ud800'] }, '/args/0'],
  ['stdin that is not an object', { stdin: 'abc' }, '/stdin'],
  ['stdin content that is not a string', { stdin: { content: 5 } }, '/stdin/content'],
  ['an unknown stdin encoding', { stdin: { content: 'x', encode: 'hex' } }, '/stdin/encode'],
  ['an upper-case encoding name', { stdin: { content: 'x', encode: 'BASE64' } }, '/stdin/encode'],
  ['base64 without padding', { stdin: { content: 'YWJ', encode: 'base64' } }, '/stdin/content'],
  ['URL-safe base64', { stdin: { content: '_-_-', encode: 'base64' } }, '/stdin/content'],
  ['base64 with junk', { stdin: { content: '!!!!YW*Jj', encode: 'base64' } }, '/stdin/content'],
  ['base85 overflow', { stdin: { content: 's8W-"', encode: 'base85' } }, '/stdin/content'],
  ['base85 with ~', { stdin: { content: '@:E^~>', encode: 'base85' } }, '/stdin/content'],
  [
    'an unknown output encoding (httpexec: 500 after running)',
    { stdout: { capture: true, encode: 'hex' } },
    '/stdout/encode',
  ],
  ['a truthy capture that is not a boolean', { stdout: { capture: 'no' } }, '/stdout/capture'],
  ['environment as a list', { environment: ['A=1'] }, '/environment'],
  ['a number as an environment value', { environment: { N: 1 } }, '/environment/N'],
  [
    'a key smuggling "=" (Node would override PATH)',
    { environment: { 'PATH=/evil:/usr/bin:x': 'y' } },
    '/environment/PATH=~1evil:~1usr~1bin:x',
  ],
  ['a key with NUL', { environment: { 'A\u0000B': '1' } }, '/environment/A\u0000B'],
  ['a value with NUL', { environment: { A: 'x\u0000y' } }, '/environment/A'],
  ['LD_PRELOAD', { environment: { LD_PRELOAD: '/tmp/x.so' } }, '/environment/LD_PRELOAD'],
  ['PATH', { environment: { PATH: '/tmp' } }, '/environment/PATH'],
  ['a lower-case path', { environment: { path: '/tmp' } }, '/environment/path'],
  ['BASH_ENV', { environment: { BASH_ENV: '/tmp/x' } }, '/environment/BASH_ENV'],
  ['NODE_OPTIONS', { environment: { NODE_OPTIONS: '--require /tmp/x' } }, '/environment/NODE_OPTIONS'],
  ['GIT_SSH_COMMAND', { environment: { GIT_SSH_COMMAND: 'sh' } }, '/environment/GIT_SSH_COMMAND'],
  ['https_proxy', { environment: { https_proxy: 'http://evil' } }, '/environment/https_proxy'],
  ['a function definition value', { environment: { F: '() { :;}; id' } }, '/environment/F'],
  ...[
    // Each loads or runs code in some interpreter or library a command may use.
    ['PYTHONWARNINGS', 'ignore::antigravity.x'],
    ['PYTHONBREAKPOINT', 'os.system'],
    ['LUA_INIT', 'os.execute("id")'],
    ['PERLIO', ':via(Evil)'],
    ['RUBYLIB', '/tmp'],
    ['NODE_EXTRA_CA_CERTS', '/tmp/ca.pem'],
    ['BASH_XTRACEFD', '1'],
    ['OPENSSL_CONF', '/tmp/engine.cnf'],
    ['XDG_CONFIG_HOME', '/tmp/gitconfig'],
    ['LESSOPEN', '|id %s'],
    ['VIMINIT', ':!id'],
    ['ZDOTDIR', '/tmp'],
    ['CORECLR_PROFILER_PATH', '/tmp/x.so'],
    ['SSL_CERT_FILE', '/tmp/ca.pem'],
    ['TMP', '/tmp/x'],
  ].map(([name = '', value]): [string, unknown, string] => [
    name,
    { environment: { [name]: value } },
    `/environment/${name}`,
  ]),
  ['a negative timeout', { timeout: -1 }, '/timeout'],
  [
    'one argument over the kernel limit of 128 KiB (execve: E2BIG)',
    { args: ['ok', 'x'.repeat(128 * 1024)] },
    '/args/1',
  ],
  [
    'one variable over the kernel limit of 128 KiB',
    { environment: { A: 'x'.repeat(128 * 1024) } },
    '/environment/A',
  ],
  ['a top-level array', [1], '/'],
  ['a top-level string', 'x', '/'],
  ['a top-level false (httpexec treated falsy bodies as {})', false, '/'],
]

describe('a root path swapped for a link after start-up', () => {
  /** base/<dir>/root holding an executable `tool` that prints `text`. */
  const tree = (base: string, dir: string, text: string) => {
    mkdirSync(join(base, dir, 'root'), { recursive: true })
    writeFileSync(join(base, dir, 'root', 'tool'), `#!/bin/sh\necho ${text}\n`)
    chmodSync(join(base, dir, 'root', 'tool'), 0o755)
  }

  it.each([
    ['the root itself', 'a/root'],
    ['a directory above it', 'a'],
  ])('runs nothing elsewhere when %s becomes a link', async (_what, swapped) => {
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'flowgate-swap-')))
    try {
      tree(base, 'a', 'inside')
      tree(base, 'b', 'elsewhere')
      for (const follow of ['false', 'true']) {
        const app = buildExecApp(join(base, 'a', 'root'), { FLOWGATE_EXEC_FOLLOW_LINKS: follow })
        expect((await post(app, 'tool')).status).toBe(200)
        renameSync(join(base, swapped), join(base, `${swapped}-moved`))
        symlinkSync(join(base, swapped.replace(/^a/, 'b')), join(base, swapped))
        const response = await post(app, 'tool')
        expect(response.status).toBe(404)
        expect(await response.text()).not.toContain('elsewhere')
        rmSync(join(base, swapped))
        renameSync(join(base, `${swapped}-moved`), join(base, swapped))
      }
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
})

describe('validation before anything runs', () => {
  it.each(invalid)('answers 400 naming the field for %s', async (_name, body, where) => {
    const response = await strict.run('spawner', body, {})
    const problem = await problemOf(response)
    expect(response.status).toBe(400)
    expect(problem.code).toBe('FG_ERR_EXEC_INVALID_REQUEST')
    expect(problem.errors?.map((error) => error.where)).toContain(where)
  })

  it('runs nothing for an invalid request', async () => {
    // spawner writes $PIDFILE when it starts; a rejected request must leave no file.
    const pidfile = join(fixture.base, 'never.pid')
    const response = await strict.run('spawner', { environment: { PIDFILE: pidfile, LD_PRELOAD: 'x' } })
    expect(response.status).toBe(400)
    expect(() => readFileSync(pidfile)).toThrow()
  })

  it('answers 400 for malformed JSON', async () => {
    const problem = await problemOf(await strict.run('echo', '{"args": ['))
    expect(problem.errors).toEqual([{ where: '/', message: 'the body is not valid JSON' }])
  })

  it('answers 415 for a non-empty body that is not JSON, and does not run (httpexec ignored the body and ran)', async () => {
    const response = await strict.app.request('/exec/exit42', {
      method: 'POST',
      body: '{"args":[]}',
      headers: { 'content-type': 'text/plain' },
    })
    expect(response.status).toBe(415)
  })

  it('accepts application/*+json with parameters', async () => {
    const response = await strict.app.request('/exec/exit42', {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/vnd.x+json; charset=utf-8' },
    })
    expect(response.status).toBe(200)
  })

  it.each([
    ['a string', '"x"'],
    ['an object', '{"LD_PRELOAD":"/tmp/x.so"}'],
  ])('answers 400 for __proto__ as %s in the environment (zod would drop it silently)', async (_n, value) => {
    const response = await strict.run('env', `{"environment":{"__proto__":${value}}}`)
    expect((await problemOf(response)).errors?.[0]?.where).toBe('/environment/__proto__')
  })
})
