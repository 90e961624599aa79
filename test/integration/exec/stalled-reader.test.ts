/**
 * Streamed runs whose reader stops reading (the body backs up, the run is paused) and then leaves,
 * before or after the command's timeout, on every spawn-helper mode, on `flowgate serve` (/exec) and
 * `flowgate exec serve`, on Node and Bun (and Deno's exec serve): every run still ends, frees its
 * concurrency slot, writes its audit line, and SIGTERM still exits, saying it stopped.
 */
import { connect, type Socket } from 'node:net'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFixtureRoot, type FixtureRoot, script } from '../../unit/node/exec/fixture-root.ts'
import { descendants, type Running } from '../processes.ts'
import { type ExecEntry, startExecEntry } from './exec-entries.ts'

let fixture: FixtureRoot
/** One command per case (cat /dev/zero each): a slot one case leaks must not fail the next. */
const COMMANDS = ['endless-early', 'endless-late', 'endless-stays'] as const
beforeAll(() => {
  fixture = createFixtureRoot()
  for (const name of COMMANDS) script(join(fixture.root, name), 'exec cat /dev/zero')
})
afterAll(() => fixture.remove())

/** [name, runtime binary, exec.spawn_helper, listener]. */
const SERVERS = [
  ['Node, exec serve, no helper', 'node', 'off', 'exec'],
  ['Node, exec serve, Node helper', 'node', 'node', 'exec'],
  ['Node, exec serve, native helper', 'node', 'native', 'exec'],
  ['Node, serve, no helper', 'node', 'off', 'main'],
  ['Node, serve, Node helper', 'node', 'node', 'main'],
  ['Node, serve, native helper', 'node', 'native', 'main'],
  ['Bun, exec serve', 'bun', 'auto', 'exec'],
  ['Bun, serve', 'bun', 'auto', 'main'],
  ['Deno, exec serve', 'deno', 'auto', 'exec'],
] as const

function serve(
  runtime: string,
  helper: string,
  listener: ExecEntry
): Promise<{ server: Running; base: string }> {
  const env = {
    FLOWGATE_EXEC_AUTH: 'none',
    FLOWGATE_EXEC_SPAWN_HELPER: helper,
    FLOWGATE_EXEC_MAX_CONCURRENT_PER_COMMAND: '1',
    FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '65536',
    FLOWGATE_EXEC_KILL_GRACE_MS: '300',
    FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: '1000',
  }
  return startExecEntry(runtime, listener, fixture.root, env)
}

/** Sends a streamed run of `command` (cat /dev/zero) on a raw socket that never reads the answer. */
function stalledRequest(base: string, command: string, timeoutS: number): Socket {
  const url = new URL(`${base}/${command}`)
  const body = JSON.stringify({ stdout: { capture: true, encode: 'base64' }, timeout: timeoutS })
  const socket = connect(Number(url.port), url.hostname)
  socket.pause()
  socket.on('error', () => {})
  socket.write(
    `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\n` +
      `accept: application/x-ndjson\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  )
  return socket
}

const cats = (server: Running) => descendants(server.child.pid ?? 0).filter((p) => p.comm === 'cat')

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Waits until the run's cat uses no CPU over several samples: it is blocked on a full pipe. */
async function runHeldBack(server: Running): Promise<void> {
  let last = -1
  let still = 0
  await until('the run to be held back by the stalled reader', () => {
    const cat = cats(server)[0]
    if (!cat) return undefined
    still = cat.ticks === last ? still + 1 : 0
    last = cat.ticks
    return still >= 6 ? true : undefined
  })
}

const audits = (server: Running, command: string) =>
  server
    .output()
    .split('\n')
    .filter((line) => line.includes('"exec audit"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.command === command)

/** The audit line of the first run of `command`. */
const auditOf = (server: Running, command: string) =>
  until(`the run of ${command} to write its audit line`, () => audits(server, command)[0])

/** A buffered run of `command` (truncated at the 64 KiB cap): 200 once the slot is free, else 429. */
async function followingRun(base: string, command: string): Promise<number> {
  const response = await fetch(`${base}/${command}`, {
    method: 'POST',
    body: JSON.stringify({ stdout: { capture: true } }),
    headers: { 'content-type': 'application/json' },
  })
  await response.arrayBuffer()
  return response.status
}

describe.each(SERVERS)('a stalled streaming reader on %s', (_name, runtime, helper, listener) => {
  let server: Running
  let base = ''
  beforeAll(async () => {
    ;({ server, base } = await serve(runtime, helper, listener))
  }, 60_000)
  afterAll(() => server?.stop('SIGKILL'))

  it('that leaves before the timeout: the run ends, frees its slot and writes its audit line', async () => {
    const socket = stalledRequest(base, 'endless-early', 60)
    await runHeldBack(server)
    socket.destroy()
    expect(await auditOf(server, 'endless-early')).toMatchObject({
      status: 200,
      mode: 'ndjson',
      clientGone: true,
    })
    expect(await followingRun(base, 'endless-early')).toBe(200)
  })

  it('that leaves after the timeout: the run ends at the timeout, frees its slot and writes its audit line', async () => {
    const socket = stalledRequest(base, 'endless-late', 1)
    // The timeout kills the command while the reader still holds the body back.
    await until('the command to be killed at its timeout', () =>
      cats(server).length === 0 ? true : undefined
    )
    expect(await auditOf(server, 'endless-late')).toMatchObject({
      status: 200,
      mode: 'ndjson',
      timedOut: true,
    })
    socket.destroy()
    expect(await followingRun(base, 'endless-late')).toBe(200)
  })

  it('that stays: SIGTERM ends the run, writes its audit line and exits 0 saying it stopped', async () => {
    const socket = stalledRequest(base, 'endless-stays', 60)
    await runHeldBack(server)
    const result = await server.stop('SIGTERM')
    socket.destroy()
    expect(result, server.output().slice(-3000)).toEqual({ code: 0, signal: null })
    expect(server.output()).toContain('"msg":"stopped"')
    expect(audits(server, 'endless-stays')).toHaveLength(1)
  })
})
