import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeContent } from '../../../../src/node/exec/encodings.ts'
import { EventStream, incompleteUtf8Tail, streamFormat } from '../../../../src/node/exec/event-stream.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

let fixture: FixtureRoot
let t: ExecTestApp

beforeAll(() => {
  fixture = createFixtureRoot()
  t = buildExecApp(fixture.root, {
    FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '1kb',
    FLOWGATE_EXEC_KILL_GRACE_MS: '200',
  })
})
afterAll(() => fixture.remove())

interface Event {
  event: string
  content?: string
  encode?: string | null
  return?: number
  timed_out?: boolean
}

const ndjson = (name: string, body: unknown) => t.run(name, body, { accept: 'application/x-ndjson' })
const events = async (response: Response) =>
  (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Event)

describe('streaming with Accept: application/x-ndjson', () => {
  it('streams stdout and stderr chunks and ends with the exit event', async () => {
    const response = await ndjson('both', { stdout: { capture: true }, stderr: { capture: true } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/x-ndjson')
    const all = await events(response)
    expect(all.at(-1)).toEqual({ event: 'exit', return: 3 })
    expect(
      all
        .filter((e) => e.event === 'stdout')
        .map((e) => e.content)
        .join('')
    ).toBe('out\n')
    expect(
      all
        .filter((e) => e.event === 'stderr')
        .map((e) => e.content)
        .join('')
    ).toBe('err\n')
  })

  it('is not limited by the buffered output cap (memory stays flat instead)', async () => {
    const all = await events(await ndjson('flood', { args: ['100000'], stdout: { capture: true } }))
    const text = all
      .filter((e) => e.event === 'stdout')
      .map((e) => e.content)
      .join('')
    expect(text.length).toBe(100000)
    expect(all.at(-1)).toEqual({ event: 'exit', return: 0 })
  })

  it('encodes each chunk on its own with the requested encoding', async () => {
    const all = await events(await ndjson('binary', { stdout: { capture: true, encode: 'base64' } }))
    const bytes = Buffer.concat(
      all.filter((e) => e.event === 'stdout').map((e) => Buffer.from(e.content ?? '', 'base64'))
    )
    expect(bytes).toEqual(Buffer.from([0xff, 0xfe, ...Buffer.from('binary')]))
  })

  it('sends non-UTF-8 chunks as base64 when encode is null', async () => {
    const all = await events(await ndjson('bad-utf8', { stdout: { capture: true } }))
    const chunks = all.filter((e) => e.event === 'stdout')
    expect(chunks.some((e) => e.encode === 'base64')).toBe(true)
  })

  it('sends no events for uncaptured streams', async () => {
    const all = await events(await ndjson('both', {}))
    expect(all).toEqual([{ event: 'exit', return: 3 }])
  })

  it('reports a timeout in the exit event', async () => {
    const all = await events(await ndjson('sleeper', { args: ['30'], timeout: 0.2 }))
    expect(all.at(-1)).toEqual({ event: 'exit', return: -15, timed_out: true })
  })

  it('still validates before anything runs (400 problem+json, not a stream)', async () => {
    const response = await ndjson('echo', { environment: { LD_PRELOAD: 'x' } })
    expect(response.status).toBe(400)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
  })
})

describe('streaming with Accept: text/event-stream', () => {
  it('sends server-sent events named stdout, stderr and exit', async () => {
    const response = await t.run('both', { stdout: { capture: true } }, { accept: 'text/event-stream' })
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    expect(response.headers.get('cache-control')).toBe('no-cache')
    expect(await response.text()).toBe(
      'event: stdout\ndata: {"content":"out\\n","encode":null}\n\nevent: exit\ndata: {"return":3}\n\n'
    )
  })
})

describe('stream helpers', () => {
  it.each([
    ['application/x-ndjson', 'ndjson'],
    ['text/event-stream', 'sse'],
    ['application/json, text/event-stream;q=0.5', 'sse'],
    ['application/json', undefined],
    ['application/x-ndjson;q=0', undefined],
    ['text/event-stream; q=0.000, application/json', undefined],
    ['application/x-ndjson;q=0.01', 'ndjson'],
    [undefined, undefined],
  ])('Accept %s → %s', (accept, format) => {
    expect(streamFormat(accept)).toBe(format)
  })

  it.each([
    ['ascii', [0x61], 0],
    ['a complete 2-byte character', [0xc3, 0xa9], 0],
    ['the first byte of a 2-byte character', [0x61, 0xc3], 1],
    ['two bytes of a 3-byte character', [0xe2, 0x82], 2],
    ['three bytes of a 4-byte character', [0xf0, 0x9f, 0x98], 3],
    ['a complete 4-byte character', [0xf0, 0x9f, 0x98, 0x80], 0],
  ])('holds back %s', (_name, bytes, tail) => {
    expect(incompleteUtf8Tail(Uint8Array.from(bytes))).toBe(tail)
  })

  it.each(['ndjson', 'sse'] as const)(
    'writes %s events of base64 output as JSON.stringify would',
    async (format) => {
      const events = new EventStream(format, {
        stdout: { capture: true, encode: 'base64' },
        stderr: { capture: true, encode: 'base85' },
      })
      const out = Buffer.from(Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256))
      const err = Buffer.from('a"\\b')
      events.onChunk('stdout', out)
      events.onChunk('stderr', err)
      events.finish({ return: 0 })
      const line = (event: string, data: object) =>
        format === 'ndjson'
          ? `${JSON.stringify({ event, ...data })}\n`
          : `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
      expect(await new Response(events.body).text()).toBe(
        line('stdout', encodeContent(out, 'base64')) +
          line('stderr', encodeContent(err, 'base85')) +
          line('exit', { return: 0 })
      )
    }
  )
})
