import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/config/sources.ts'
import { signRequest } from '../../../../src/node/exec/auth.ts'
import { problemOf } from '../../app-harness.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

const TOKEN = 'tok-ci-0123456789abcdef'
const OTHER = 'tok-ops-0123456789abcdef'
const KEY = 'hmac-key-0123456789abcdef'
const sha = (text: string) => createHash('sha256').update(text).digest('hex')
const NOW = 1_800_000_000_000

let fixture: FixtureRoot
let t: ExecTestApp

beforeAll(() => {
  fixture = createFixtureRoot()
  t = buildExecApp(
    fixture.root,
    {
      FLOWGATE_EXEC_AUTH: 'required',
      FLOWGATE_EXEC_TOKENS: `ci:${sha(TOKEN)}:exit42;ops:${sha(OTHER)}:*`.replaceAll(';', ','),
      FLOWGATE_EXEC_HMAC_KEYS: `hook:${KEY}:sub/*`,
    },
    { now: () => NOW }
  )
})
afterAll(() => fixture.remove())

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

function signed(path: string, body: string, options: { key?: string; at?: number; app?: ExecTestApp } = {}) {
  const timestamp = String(Math.floor((options.at ?? NOW) / 1000))
  return (options.app ?? t).app.request(path, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-flowgate-timestamp': timestamp,
      'x-flowgate-signature': signRequest(
        options.key ?? KEY,
        'POST',
        path,
        timestamp,
        new TextEncoder().encode(body)
      ),
    },
  })
}

describe('bearer tokens', () => {
  it('answers 401 with WWW-Authenticate when no credential is sent', async () => {
    const response = await t.run('exit42')
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="flowgate-exec"')
    expect((await problemOf(response)).code).toBe('FG_ERR_EXEC_UNAUTHENTICATED')
  })

  it('runs the command for a valid token within its scope', async () => {
    expect((await t.run('exit42', undefined, bearer(TOKEN))).status).toBe(200)
  })

  it('answers 401 for an unknown token', async () => {
    expect((await t.run('exit42', undefined, bearer('nope-nope-nope'))).status).toBe(401)
  })

  it('answers 400 for a malformed Authorization header', async () => {
    const problem = await problemOf(await t.run('exit42', undefined, { authorization: 'Basic abc def' }))
    expect(problem.status).toBe(400)
    expect(problem.errors?.[0]?.where).toBe('authorization')
  })

  it('answers 403 outside the scope, before looking the command up', async () => {
    expect((await t.run('echo', undefined, bearer(TOKEN))).status).toBe(403)
    expect((await t.run('no-such-command', undefined, bearer(TOKEN))).status).toBe(403)
  })

  it('compares the whole name with the scope, however long (not the shortened audit name)', async () => {
    const scope = 'a'.repeat(200)
    const app = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_AUTH: 'required',
      FLOWGATE_EXEC_TOKENS: `long:${sha(TOKEN)}:${scope}`,
    })
    expect((await app.run(`${scope}b`, undefined, bearer(TOKEN))).status).toBe(403)
    expect((await app.run(scope, undefined, bearer(TOKEN))).status).toBe(404)
  })

  it('lets a "*" scope run anything under the root', async () => {
    expect((await t.run('echo', undefined, bearer(OTHER))).status).toBe(200)
  })

  it('reads several scopes per token from FLOWGATE_EXEC_TOKENS, where list and scopes share the comma', async () => {
    const app = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_AUTH: 'required',
      FLOWGATE_EXEC_TOKENS: `ci:${sha(TOKEN)}:exit42,echo, ops:${sha(OTHER)}:sub/*,args`,
    })
    const allowed = async (token: string, command: string) =>
      (await app.run(command, undefined, bearer(token))).status !== 403
    expect(await allowed(TOKEN, 'exit42')).toBe(true)
    expect(await allowed(TOKEN, 'echo')).toBe(true)
    expect(await allowed(TOKEN, 'args')).toBe(false)
    expect(await allowed(TOKEN, 'sub/tool')).toBe(false)
    expect(await allowed(OTHER, 'sub/tool')).toBe(true)
    expect(await allowed(OTHER, 'args')).toBe(true)
    expect(await allowed(OTHER, 'exit42')).toBe(false)
  })

  it('still refuses a list that starts with a bare scope', () => {
    expect(() =>
      buildExecApp(fixture.root, {
        FLOWGATE_EXEC_AUTH: 'required',
        FLOWGATE_EXEC_TOKENS: `echo,ci:${sha(TOKEN)}:exit42`,
      })
    ).toThrow(ConfigError)
  })
})

describe('HMAC-signed requests', () => {
  it('runs a correctly signed request within its scope', async () => {
    const response = await signed('/exec/sub/tool', '{"stdout":{"capture":true}}')
    expect(await response.json()).toEqual({
      return: 0,
      stderr: null,
      stdout: { content: 'sub\n', encode: null },
    })
  })

  it('accepts a signed request once: a replay within the window is 401', async () => {
    const body = '{"args":["replay"]}'
    expect((await signed('/exec/sub/tool', body, { at: NOW - 10_000 })).status).toBe(200)
    const replayed = await problemOf(await signed('/exec/sub/tool', body, { at: NOW - 10_000 }))
    expect(replayed.status).toBe(401)
    expect(replayed.detail).toContain('already used')
    expect((await signed('/exec/sub/tool', body, { at: NOW - 9_000 })).status).toBe(200)
  })

  it('answers 401 for a signature made with another key', async () => {
    expect((await signed('/exec/sub/tool', '{}', { key: 'another-key-0123456789' })).status).toBe(401)
  })

  it('answers 401 when the body was changed after signing', async () => {
    const timestamp = String(NOW / 1000)
    const response = await t.app.request('/exec/sub/tool', {
      method: 'POST',
      body: '{"args":["x"]}',
      headers: {
        'content-type': 'application/json',
        'x-flowgate-timestamp': timestamp,
        'x-flowgate-signature': signRequest(
          KEY,
          'POST',
          '/exec/sub/tool',
          timestamp,
          new TextEncoder().encode('{}')
        ),
      },
    })
    expect(response.status).toBe(401)
  })

  it.each([
    ['too old', NOW - 301_000],
    ['too far in the future', NOW + 301_000],
  ])('answers 401 for a timestamp %s (replay window)', async (_name, at) => {
    const problem = await problemOf(await signed('/exec/sub/tool', '{}', { at }))
    expect(problem.detail).toContain('window')
  })

  it('accepts a timestamp inside the window', async () => {
    expect((await signed('/exec/sub/tool', '{}', { at: NOW - 299_000 })).status).toBe(200)
  })

  it('answers 403 outside the key scope', async () => {
    expect((await signed('/exec/echo', '{}')).status).toBe(403)
  })

  it('reads several scopes per key from FLOWGATE_EXEC_HMAC_KEYS, where list and scopes share the comma', async () => {
    const other = 'hmac-other-0123456789abcdef'
    const app = buildExecApp(
      fixture.root,
      {
        FLOWGATE_EXEC_AUTH: 'required',
        FLOWGATE_EXEC_HMAC_KEYS: `hook:${KEY}:sub/*,exit42,old:${other}:echo`,
      },
      { now: () => NOW }
    )
    const status = async (path: string, key: string) => (await signed(path, '{}', { app, key })).status
    expect(await status('/exec/sub/tool', KEY)).toBe(200)
    expect(await status('/exec/exit42', KEY)).toBe(200)
    expect(await status('/exec/echo', KEY)).toBe(403)
    expect(await status('/exec/echo', other)).toBe(200)
    expect(await status('/exec/exit42', other)).toBe(403)
  })

  it('answers 400 for a malformed signature header', async () => {
    const response = await t.app.request('/exec/sub/tool', {
      method: 'POST',
      headers: { 'x-flowgate-timestamp': String(NOW / 1000), 'x-flowgate-signature': 'md5=abc' },
    })
    expect((await problemOf(response)).errors?.[0]?.where).toBe('x-flowgate-signature')
  })
})

describe('the audit line', () => {
  it('records who ran what, the outcome and sizes, never stdin, env values, args or output', async () => {
    await t.run(
      'echo',
      {
        args: ['secret-arg'],
        stdin: { content: 'secret-stdin' },
        environment: { SECRET_VALUE: 'secret-env' },
        stdout: { capture: true },
      },
      bearer(OTHER)
    )
    const line = t.audits().at(-1)
    expect(line).toMatchObject({
      caller: 'ops',
      auth: 'bearer',
      command: 'echo',
      argc: 1,
      envNames: ['SECRET_VALUE'],
      stdinBytes: 12,
      returnCode: 0,
      status: 200,
      stdoutBytes: 12,
    })
    expect(JSON.stringify(t.lines)).not.toMatch(/secret-(arg|stdin|env)|tok-ops/)
  })

  it('records denials at warning level', async () => {
    await t.run('exit42', undefined, bearer('wrong-token-xyz'))
    expect(t.audits().at(-1)).toMatchObject({
      level: 'warn',
      status: 401,
      code: 'FG_ERR_EXEC_UNAUTHENTICATED',
    })
  })
})

describe('auth = "none"', () => {
  it('is refused at start-up on a listener that is not loopback-only', () => {
    expect(() => buildExecApp(fixture.root, { FLOWGATE_EXEC_AUTH: 'none' }, { host: '0.0.0.0' })).toThrow(
      ConfigError
    )
  })

  it('is accepted on loopback', async () => {
    const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_AUTH: 'none' }, { host: '127.0.0.1' })
    expect((await app.run('exit42')).status).toBe(200)
  })

  it('is not the default', async () => {
    const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_AUTH: 'required' })
    expect((await app.run('exit42')).status).toBe(401)
  })

  it.each([
    [
      'a cross-site "simple" POST with no body (CSRF)',
      'http://127.0.0.1/exec/exit42',
      { origin: 'https://evil.example' },
    ],
    ['a browser fetch without Origin', 'http://127.0.0.1/exec/exit42', { 'sec-fetch-site': 'cross-site' }],
    ['a DNS-rebound page (Host is its own name)', 'http://rebind.evil.example:8000/exec/exit42', {}],
  ])('refuses %s with 403, running nothing', async (_name, url, headers: Record<string, string>) => {
    const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_AUTH: 'none' }, { host: '127.0.0.1' })
    const response = await app.app.request(url, { method: 'POST', headers })
    expect(response.status).toBe(403)
    expect((await problemOf(response)).code).toBe('FG_ERR_EXEC_FORBIDDEN')
  })

  it.each(['http://127.0.0.1:8000', 'http://localhost:8000', 'http://[::1]:8000'])(
    'serves local clients addressing %s',
    async (origin) => {
      const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_AUTH: 'none' }, { host: '127.0.0.1' })
      expect((await app.app.request(`${origin}/exec/exit42`, { method: 'POST' })).status).toBe(200)
    }
  )
})
