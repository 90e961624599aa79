import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

let fixture: FixtureRoot
let t: ExecTestApp

beforeAll(() => {
  fixture = createFixtureRoot()
  t = buildExecApp(fixture.root)
})
afterAll(() => fixture.remove())

describe('httpexec contract: request and response', () => {
  // httpexec's own unit test matrix: capture × encoding, args -e PATH, stdin "abc", environment null.
  const encodings = [null, 'base64', 'base85'] as const
  const encodeStdin = { base64: 'YWJj', base85: '@:E^' } as const
  it.each(encodings.flatMap((encode) => [true, false].map((capture) => [capture, encode] as const)))(
    'capture %s with encoding %s round-trips stdin and echoes the encoding',
    async (capture, encode) => {
      const response = await t.run('echo', {
        args: ['-e', 'PATH'],
        stdin: { content: encode ? encodeStdin[encode] : 'abc', encode },
        stdout: { capture, encode },
        stderr: { capture, encode },
        environment: null,
      })
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toMatch(/^application\/json/)
      const body = (await response.json()) as Record<
        string,
        { content: string; encode: string | null } | null
      >
      expect(body.return).toBe(0)
      if (!capture) {
        expect(body.stdout).toBeNull()
        expect(body.stderr).toBeNull()
        return
      }
      expect(body.stdout?.encode).toBe(encode)
      expect(body.stderr?.encode).toBe(encode)
      const decode = (content: string) =>
        encode === 'base64' ? Buffer.from(content, 'base64').toString() : content
      if (encode === 'base85') expect(body.stdout?.content).toBe('@:E^')
      else expect(decode(body.stdout?.content ?? '')).toBe('abc')
      if (encode !== 'base85') expect(decode(body.stderr?.content ?? '')).toContain('PATH=')
    }
  )

  it('sends the keys in the order httpexec does: return, stderr, stdout', async () => {
    const response = await t.run('both', {
      stdout: { capture: true },
      stderr: { capture: true, encode: 'base64' },
    })
    expect(await response.text()).toBe(
      '{"return":3,"stderr":{"content":"ZXJyCg==","encode":"base64"},"stdout":{"content":"out\\n","encode":null}}'
    )
  })

  it('passes request variables to the child', async () => {
    const response = await t.run('echo', {
      args: ['-e', 'FOO'],
      stderr: { capture: true },
      environment: { FOO: 'BAR' },
    })
    expect(((await response.json()) as { stderr: { content: string } }).stderr.content).toBe('FOO=BAR\n')
  })

  it('runs with all defaults when there is no body at all', async () => {
    const response = await t.run('exit42')
    expect(await response.json()).toEqual({ return: 42, stderr: null, stdout: null })
  })

  it('treats a JSON null body and null fields as absent (the spec says nullable)', async () => {
    expect((await t.run('exit42', 'null')).status).toBe(200)
    const response = await t.run('exit42', {
      args: null,
      stdin: null,
      stdout: null,
      stderr: null,
      environment: null,
    })
    expect(await response.json()).toEqual({ return: 42, stderr: null, stdout: null })
  })

  it('ignores unknown keys, as httpexec does', async () => {
    expect((await t.run('exit42', { streams: true, extra: 1 })).status).toBe(200)
  })

  it('passes arguments verbatim: no shell, no globbing, no splitting', async () => {
    const args = ['*', '$HOME', 'a b', "'q'", '`id`', '; rm -rf /', '']
    const response = await t.run('args', { args, stdout: { capture: true } })
    const body = (await response.json()) as { stdout: { content: string } }
    expect(body.stdout.content).toBe(args.map((arg) => `[${arg}]\n`).join(''))
  })

  it('reports a process killed by signal N as -N', async () => {
    const response = await t.run('killself')
    expect(((await response.json()) as { return: number }).return).toBe(-15)
  })

  it('answers output that is not UTF-8 as base64 instead of failing after the run', async () => {
    const response = await t.run('binary', { stdout: { capture: true } })
    expect(await response.json()).toEqual({
      return: 0,
      stderr: null,
      stdout: { content: '//5iaW5hcnk=', encode: 'base64' },
    })
  })

  it('decodes base64 stdin to the exact bytes', async () => {
    const response = await t.run('echo', {
      stdin: { content: '//5iaW5hcnk=', encode: 'base64' },
      stdout: { capture: true, encode: 'base85' },
    })
    expect(((await response.json()) as { stdout: { content: string } }).stdout.content).toBe('s8HJADIIR2')
  })

  it('ignores the broken pipe when a command exits without reading a large stdin', async () => {
    const response = await t.run('exit42', { stdin: { content: 'x'.repeat(3 * 1024 * 1024) } })
    expect(await response.json()).toEqual({ return: 42, stderr: null, stdout: null })
  })

  it("gives the child /dev/null as stdin when none is sent (httpexec: the server's stdin)", async () => {
    const response = await t.run('stdinfo', { stdout: { capture: true } })
    expect(((await response.json()) as { stdout: { content: string } }).stdout.content).toBe('/dev/null\n')
  })

  it("runs in flowgate's working directory by default, as httpexec", async () => {
    const response = await t.run('cwd', { stdout: { capture: true } })
    expect(((await response.json()) as { stdout: { content: string } }).stdout.content).toBe(
      `${process.cwd()}\n`
    )
  })

  it('runs in exec.workdir when set', async () => {
    const app = buildExecApp(fixture.root, { FLOWGATE_EXEC_WORKDIR: fixture.outside })
    const response = await app.run('cwd', { stdout: { capture: true } })
    expect(((await response.json()) as { stdout: { content: string } }).stdout.content).toBe(
      `${fixture.outside}\n`
    )
  })

  it('runs commands in subdirectories and through links inside the root', async () => {
    const sub = await t.run('sub/tool', { stdout: { capture: true } })
    expect(((await sub.json()) as { stdout: { content: string } }).stdout.content).toBe('sub\n')
    const link = await t.run('link_in', { stdin: { content: 'x' }, stdout: { capture: true } })
    expect(((await link.json()) as { stdout: { content: string } }).stdout.content).toBe('x')
  })

  it('collapses leading slashes as httpexec routing does (its tests POST //echo)', async () => {
    const response = await t.app.request('/exec//exit42', { method: 'POST' })
    expect(response.status).toBe(200)
  })

  it('answers 405 with Allow: POST for other methods', async () => {
    const response = await t.app.request('/exec/echo', { method: 'GET' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toContain('POST')
  })
})

describe('the child environment', () => {
  it('is minimal: fixed PATH and LANG, configured pass-through names, request variables', async () => {
    const app = buildExecApp(
      fixture.root,
      { FLOWGATE_EXEC_ENV_PASSTHROUGH: 'TZ' },
      { processEnv: { TZ: 'UTC', HTTPEXEC_API_SECRET: 's3cret', FLOWGATE_EXEC_TOKENS: 'x', HOME: '/root' } }
    )
    const response = await app.run('env', { stdout: { capture: true }, environment: { FOO: 'bar' } })
    const lines = ((await response.json()) as { stdout: { content: string } }).stdout.content
      .trim()
      .split('\n')
    expect(lines.filter((line) => !line.startsWith('PWD='))).toEqual([
      'FOO=bar',
      'LANG=C.UTF-8',
      'PATH=/usr/local/bin:/usr/bin:/bin',
      'TZ=UTC',
    ])
  })

  it("never contains flowgate's own settings or secrets", async () => {
    const response = await t.run('env', { stdout: { capture: true } })
    const text = ((await response.json()) as { stdout: { content: string } }).stdout.content
    expect(text).not.toMatch(/FLOWGATE_|HTTPEXEC_|VITEST|NODE_/)
  })
})

describe('the OpenAPI document', () => {
  it('documents the exec route, and /openapi.json renders it with the request schema', async () => {
    expect(t.openapi.documented).toContain('POST /exec/:command{.+}')
    const response = await t.app.request('/openapi.json')
    const doc = (await response.json()) as { paths: Record<string, { post?: { requestBody?: unknown } }> }
    expect(doc.paths['/exec/{command}']?.post?.requestBody).toBeDefined()
  })
})
