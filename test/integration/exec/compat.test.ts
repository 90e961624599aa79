/**
 * The same requests to httpexec itself (from PyPI, under hypercorn) and to `flowgate exec serve`
 * over the same fixture root: for every request httpexec handles correctly, the decoded responses
 * must be equal. Requests where httpexec misbehaves are compared by status class only.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFixtureRoot, type FixtureRoot, script } from '../../unit/node/exec/fixture-root.ts'
import { BIN, freePort, ROOT, type Running, startServer } from '../processes.ts'
import { type HttpexecServer, startHttpexec } from './httpexec-server.ts'

let fixture: FixtureRoot
let httpexec: HttpexecServer
let flowgate: Running

beforeAll(async () => {
  fixture = createFixtureRoot()
  // Commands named like paths of flowgate's Conductor gateway, which exec serve must not shadow.
  for (const name of ['api/workflow', 'proxy/schedule/run']) {
    const file = join(fixture.root, name)
    mkdirSync(join(file, '..'), { recursive: true })
    script(file, `echo "${name} $*"`)
  }
  httpexec = await startHttpexec({ root: fixture.root, cwd: ROOT })
  const port = await freePort()
  flowgate = await startServer(`${BIN}/node`, {
    args: ['src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
    env: { FLOWGATE_EXEC_AUTH: 'none', FLOWGATE_LOG_LEVEL: 'warn' },
    port,
  })
})

afterAll(async () => {
  await httpexec?.stop()
  await flowgate?.stop()
  fixture?.remove()
})

interface Case {
  path: string
  body?: unknown
  /** Raw body text (sent as JSON unless contentType says otherwise). */
  raw?: string
}

async function send(base: string, c: Case): Promise<{ status: number; json: unknown }> {
  const text = c.raw ?? (c.body === undefined ? undefined : JSON.stringify(c.body))
  const response = await fetch(`${base}${c.path}`, {
    method: 'POST',
    ...(text === undefined ? {} : { body: text, headers: { 'content-type': 'application/json' } }),
  })
  const body = await response.text()
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    json = undefined
  }
  return { status: response.status, json }
}

const capture = (encode: string | null = null) => ({ capture: true, encode })

// Requests httpexec handles correctly: the decoded responses must be identical.
const SAME: Array<[string, Case]> = [
  ['no body', { path: '/exit42' }],
  ['an empty object', { path: '/exit42', body: {} }],
  ['a JSON null body', { path: '/exit42', raw: 'null' }],
  ['environment null', { path: '/exit42', body: { environment: null } }],
  ['unknown keys', { path: '/exit42', body: { streams: 1 } }],
  [
    'a command named like a gateway path',
    { path: '/api/workflow', body: { args: ['x'], stdout: capture() } },
  ],
  ['another one, deeper', { path: '/proxy/schedule/run', body: { stdout: capture() } }],
  [
    'leading double slash (httpexec tests POST //echo)',
    { path: '//echo', body: { stdin: { content: 'x' }, stdout: capture() } },
  ],
  ...(['base64', 'base85', null] as const).flatMap(
    (encode): Array<[string, Case]> => [
      [
        `the echo matrix, capture on, encode ${encode}`,
        {
          path: '/echo',
          body: {
            args: ['-e', 'FOO'],
            stdin: { content: encode === 'base64' ? 'YWJj' : encode === 'base85' ? '@:E^' : 'abc', encode },
            stdout: capture(encode),
            stderr: capture(encode),
            environment: { FOO: 'BAR' },
          },
        },
      ],
      [
        `the echo matrix, capture off, encode ${encode}`,
        {
          path: '/echo',
          body: {
            args: ['-e', 'FOO'],
            stdin: { content: 'abc' },
            stdout: { capture: false, encode },
            stderr: { capture: false, encode },
          },
        },
      ],
      [
        `stdout and stderr with exit 3, encode ${encode}`,
        { path: '/both', body: { stdout: capture(encode), stderr: capture(encode) } },
      ],
    ]
  ),
  ['binary output as base64', { path: '/binary', body: { stdout: capture('base64') } }],
  ['binary output as base85', { path: '/binary', body: { stdout: capture('base85') } }],
  [
    'binary stdin in base64',
    {
      path: '/echo',
      body: { stdin: { content: '//5iaW5hcnk=', encode: 'base64' }, stdout: capture('base64') },
    },
  ],
  [
    'zero bytes through base85',
    { path: '/echo', body: { stdin: { content: 'z!!', encode: 'base85' }, stdout: capture('base85') } },
  ],
  [
    'non-ASCII text',
    { path: '/echo', body: { stdin: { content: 'h\u00e9llo \u2713 \ud83d\ude00' }, stdout: capture() } },
  ],
  ['an empty stdin', { path: '/echo', body: { stdin: { content: '' }, stdout: capture() } }],
  [
    'arguments verbatim',
    { path: '/args', body: { args: ['*', '$HOME', 'a b', '', '`id`'], stdout: capture() } },
  ],
  ['a signal', { path: '/killself', body: {} }],
  ['a subdirectory', { path: '/sub/tool', body: { stdout: capture() } }],
  [
    'a link inside the root',
    { path: '/link_in', body: { stdin: { content: 'via link' }, stdout: capture() } },
  ],
  ['the working directory', { path: '/cwd', body: { stdout: capture() } }],
  [
    'a request variable overriding nothing',
    { path: '/echo', body: { args: ['-e', 'A_B'], stderr: capture(), environment: { A_B: 'x=y' } } },
  ],
]

// Same status, different (better) body: flowgate's problem+json instead of HTML or text.
const SAME_STATUS: Array<[string, Case]> = [
  ['a missing command', { path: '/nope' }],
  ['a directory', { path: '/adir' }],
  ['a dangling link', { path: '/dangling' }],
  ['a link outside the root', { path: '/link_out' }],
  ['.. encoded', { path: '/..%2Foutside%2Ftool' }],
  ['a sibling directory', { path: '/..%2Frootsibling%2Ftool' }],
  ['malformed JSON', { path: '/echo', raw: '{"args": [' }],
]

describe('flowgate exec serve answers like httpexec', () => {
  it.each(SAME)('%s: same decoded response', async (_name, c) => {
    const [theirs, ours] = await Promise.all([send(httpexec.url, c), send(flowgate.url, c)])
    expect(theirs.status).toBe(200)
    expect(ours).toEqual(theirs)
  })

  it.each(SAME_STATUS)('%s: same status', async (_name, c) => {
    const [theirs, ours] = await Promise.all([send(httpexec.url, c), send(flowgate.url, c)])
    expect(ours.status).toBe(theirs.status)
  })

  it('both refuse other methods with 405', async () => {
    const [theirs, ours] = await Promise.all([
      fetch(`${httpexec.url}/echo`, { method: 'GET' }),
      fetch(`${flowgate.url}/echo`, { method: 'GET' }),
    ])
    expect([theirs.status, ours.status]).toEqual([405, 405])
  })
})

// Where httpexec answers 500 (or runs something it should not), flowgate refuses with a 4xx
// before running anything. Listed so the difference is visible and tested.
const FIXED: Array<[string, Case, number]> = [
  ['args: null (the spec says nullable)', { path: '/exit42', body: { args: null } }, 200],
  [
    'an unknown output encoding (httpexec ran the command, then 500)',
    { path: '/exit42', body: { stdout: { capture: true, encode: 'hex' } } },
    400,
  ],
  [
    'non-UTF-8 output with encode null (httpexec ran the command, then 500)',
    { path: '/binary', body: { stdout: capture() } },
    200,
  ],
  ['a non-executable file (httpexec: 500)', { path: '/noexec' }, 404],
  ['an env key smuggling "="', { path: '/exit42', body: { environment: { 'A=B': '1' } } }, 400],
]

describe('where httpexec fails, flowgate answers cleanly', () => {
  it.each(FIXED)('%s', async (_name, c, status) => {
    const [theirs, ours] = await Promise.all([send(httpexec.url, c), send(flowgate.url, c)])
    expect(theirs.status).toBe(500)
    expect(ours.status).toBe(status)
  })
})
