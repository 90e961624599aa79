/**
 * Streamed runs over real HTTP on each runtime's `flowgate exec serve`, and on Bun's main listener
 * (where @hono/node-server reads Bun's direct body through a reader): the events carry every byte intact
 * (Bun builds each line in one reused buffer), and a reader that stops holds the run back instead
 * of the server buffering its output; a reader that leaves ends the run.
 */
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createFixtureRoot,
  descendants,
  type FixtureRoot,
  residentBytes,
} from '../../unit/node/exec/fixture-root.ts'
import { BIN, freePort, type Running, startServer } from '../processes.ts'

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

/** Each runtime's `flowgate exec serve`, and Bun's main listener (`flowgate serve`, /exec). */
const SERVERS = [
  ['Node, exec serve', 'node', [], 'exec'],
  ['Bun, exec serve', 'bun', [], 'exec'],
  ['Deno, exec serve', 'deno', ['run', '-A'], 'exec'],
  ['Bun, serve', 'bun', [], 'main'],
] as const

/** The server and the base URL of its commands. */
async function serve(
  runtime: string,
  pre: readonly string[],
  listener: 'exec' | 'main'
): Promise<{ running: Running; base: string }> {
  const port = await freePort()
  if (listener === 'exec') {
    const running = await startServer(`${BIN}/${runtime}`, {
      args: [...pre, 'src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', fixture.root],
      env: { FLOWGATE_EXEC_AUTH: 'none' },
      port,
    })
    return { running, base: running.url }
  }
  const running = await startServer(`${BIN}/${runtime}`, {
    args: [...pre, 'src/cli/main.ts', 'serve', '--port', String(port)],
    env: {
      FLOWGATE_EXEC_ENABLED: 'true',
      FLOWGATE_EXEC_ROOT: fixture.root,
      FLOWGATE_EXEC_AUTH: 'none',
      FLOWGATE_AUTH_MODE: 'none',
      FLOWGATE_TASK_PROXY_PORT: String(await freePort()),
    },
    port,
  })
  return { running, base: `${running.url}/exec` }
}

interface StreamEvent {
  event: string
  content?: string
  encode?: string | null
  return?: number
}

const ndjson = (text: string): StreamEvent[] =>
  text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as StreamEvent)

const sse = (text: string): StreamEvent[] =>
  text
    .trim()
    .split('\n\n')
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n')
      return {
        event: eventLine?.slice('event: '.length) ?? '',
        ...JSON.parse(dataLine?.slice('data: '.length) ?? ''),
      }
    })

const joined = (events: StreamEvent[], name: string, decode: (content: string) => Buffer) =>
  Buffer.concat(events.filter((e) => e.event === name).map((e) => decode(e.content ?? '')))

describe.each(SERVERS)('streamed runs on %s', (_name, runtime, pre, listener) => {
  let server: Running
  let base = ''
  beforeAll(async () => {
    ;({ running: server, base } = await serve(runtime, pre, listener))
  }, 60_000)
  afterAll(() => server?.stop())

  it('carries 3 MiB of random bytes (base64, NDJSON) and stderr text intact', async () => {
    const input = randomBytes(3 * 1024 * 1024)
    const response = await fetch(`${base}/echo`, {
      method: 'POST',
      body: JSON.stringify({
        args: ['-e', 'MARK'],
        environment: { MARK: 'é€😀' },
        stdin: { content: input.toString('base64'), encode: 'base64' },
        stdout: { capture: true, encode: 'base64' },
        stderr: { capture: true },
      }),
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    })
    expect(response.status).toBe(200)
    const events = ndjson(await response.text())
    expect(events.filter((e) => e.event === 'stdout').length).toBeGreaterThan(1)
    expect(joined(events, 'stdout', (c) => Buffer.from(c, 'base64')).equals(input)).toBe(true)
    expect(joined(events, 'stderr', (c) => Buffer.from(c)).toString()).toBe('MARK=é€😀\n')
    expect(events.at(-1)).toEqual({ event: 'exit', return: 0 })
  })

  it('keeps every event of runs that end before the body is asked for', async () => {
    // Short runs print and exit before the server starts sending: their lines wait as copies.
    const run = async () => {
      const response = await fetch(`${base}/both`, {
        method: 'POST',
        body: JSON.stringify({ stdout: { capture: true }, stderr: { capture: true } }),
        headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      })
      const events = ndjson(await response.text())
      const output = events.filter((e) => e.event !== 'exit').map((e) => `${e.event}:${e.content}`)
      return [...output.sort(), events.at(-1)]
    }
    // Two at a time: exec.max_concurrent_per_command (4) would refuse more.
    for (let round = 0; round < 10; round++) {
      for (const outcome of await Promise.all([run(), run()]))
        expect(outcome).toEqual(['stderr:err\n', 'stdout:out\n', { event: 'exit', return: 3 }])
    }
  })

  it('carries 2 MB of multi-byte text (server-sent events) intact, no character split', async () => {
    const text = 'aé€😀"\\\n\t'.repeat(120_000)
    const response = await fetch(`${base}/echo`, {
      method: 'POST',
      body: JSON.stringify({ stdin: { content: text }, stdout: { capture: true } }),
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    })
    const events = sse(await response.text())
    const stdout = events.filter((e) => e.event === 'stdout')
    expect(stdout.length).toBeGreaterThan(1)
    expect(stdout.every((e) => e.encode === null)).toBe(true)
    expect(stdout.map((e) => e.content).join('')).toBe(text)
    expect(events.at(-1)).toEqual({ event: 'exit', return: 0 })
  })

  it('goes on after a stalled reader with every byte intact (6 MiB, base64)', async () => {
    const input = randomBytes(6 * 1024 * 1024)
    const response = await fetch(`${base}/echo`, {
      method: 'POST',
      body: JSON.stringify({
        stdin: { content: input.toString('base64'), encode: 'base64' },
        stdout: { capture: true, encode: 'base64' },
      }),
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    })
    const reader = response.body?.getReader()
    const parts: Uint8Array[] = []
    const first = await reader?.read()
    if (first?.value) parts.push(first.value)
    // The run is paused meanwhile (the socket is full); it must resume and lose nothing.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    for (;;) {
      const next = await reader?.read()
      if (!next || next.done) break
      parts.push(next.value)
    }
    const events = ndjson(Buffer.concat(parts).toString())
    expect(joined(events, 'stdout', (c) => Buffer.from(c, 'base64')).equals(input)).toBe(true)
    expect(events.at(-1)).toEqual({ event: 'exit', return: 0 })
  }, 20_000)

  it('holds an endless run back while the reader waits, and ends it when the reader leaves', async () => {
    const pid = server.child.pid ?? 0
    const left = new AbortController()
    const response = await fetch(`${base}/endless`, {
      method: 'POST',
      body: JSON.stringify({ stdout: { capture: true, encode: 'base64' }, timeout: 60 }),
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
      signal: left.signal,
    })
    const reader = response.body?.getReader()
    expect((await reader?.read())?.done).toBe(false)
    const before = residentBytes(pid)
    // cat /dev/zero writes GB/s: without backpressure the server would hold gigabytes by now.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    expect((residentBytes(pid) - before) / 1024 ** 2).toBeLessThan(48)
    expect(descendants(pid).some((p) => p.comm === 'cat')).toBe(true)
    left.abort()
    await reader?.cancel().catch(() => undefined)
    let cats = descendants(pid).filter((p) => p.comm === 'cat')
    for (let i = 0; i < 50 && cats.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      cats = descendants(pid).filter((p) => p.comm === 'cat')
    }
    expect(cats).toEqual([])
  }, 20_000)
})
