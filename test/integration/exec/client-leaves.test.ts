/**
 * A client that goes away in the middle of its request body, on `flowgate exec serve` and
 * `flowgate serve` (Node), and Bun's `flowgate exec serve`: no server error. The request is
 * recorded as 499 (nginx's "client closed request", as the gateway records it) with a debug line,
 * never a 500 `FG_ERR_INTERNAL` logged at error level with a stack.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFixtureRoot, type FixtureRoot } from '../../unit/node/exec/fixture-root.ts'
import type { Running } from '../processes.ts'
import { type ExecEntry, startExecEntry } from './exec-entries.ts'

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

const SERVERS = [
  ['Node, exec serve', 'node', 'exec'],
  ['Node, serve', 'node', 'main'],
  ['Bun, exec serve', 'bun', 'exec'],
] as const

function serve(runtime: string, listener: ExecEntry): Promise<{ server: Running; base: string }> {
  return startExecEntry(runtime, listener, fixture.root, {
    FLOWGATE_EXEC_AUTH: 'none',
    FLOWGATE_LOG_LEVEL: 'debug',
  })
}

const lines = (server: Running) =>
  server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)

async function until<T>(what: string, probe: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * Sends the head and the start of a body announced as 100 bytes, then closes the connection (FIN:
 * the server reads what was sent, then the end; a reset could drop the unread head).
 */
async function leaveMidBody(base: string, command: string, sent: string): Promise<void> {
  const url = new URL(`${base}/${command}`)
  await new Promise<void>((resolve) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\ncontent-type: application/json\r\n` +
          `content-length: 100\r\n\r\n${sent}`,
        // Once in the kernel's hands: closing then sends a FIN after the bytes.
        () => socket.destroy()
      )
    })
    socket.on('error', () => {})
    socket.on('close', () => resolve())
  })
}

describe.each(SERVERS)('a client that leaves mid-body on %s', (_name, runtime, listener) => {
  let server: Running
  let base = ''
  beforeAll(async () => {
    ;({ server, base } = await serve(runtime, listener))
  }, 60_000)
  afterAll(() => server?.stop())

  it('is recorded as 499 with a debug line, not as a 500 logged at error level', async () => {
    await leaveMidBody(base, 'echo', '{"stdin":')
    const audit = await until('the audit line', () =>
      lines(server).find((line) => line.msg === 'exec audit' && line.command === 'echo')
    )
    expect(audit).toMatchObject({ status: 499, clientGone: true })
    expect(audit).not.toHaveProperty('code')
    await until('the debug line', () =>
      lines(server).find((line) => line.msg === 'client closed the request' && line.level === 'debug')
    )
    expect(lines(server).filter((line) => line.level === 'error')).toEqual([])
    // The server goes on serving.
    const response = await fetch(`${base}/exit42`, { method: 'POST' })
    expect(await response.json()).toMatchObject({ return: 42 })
  })
})
