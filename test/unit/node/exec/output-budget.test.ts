import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { escapedLength, OutputBudget, replyLength } from '../../../../src/node/exec/output-budget.ts'
import { buildExecApp, type ExecTestApp, serveOnNode } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

let fixture: FixtureRoot

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

interface Reply {
  return: number
  stdout: { content: string; encode: string | null } | null
  truncated?: boolean
}

describe('the buffered output budget', () => {
  it('counts every byte value as JSON.stringify escapes it', () => {
    const all = Uint8Array.from({ length: 128 }, (_, i) => i)
    const text = new TextDecoder().decode(all)
    expect(escapedLength(all)).toBe(JSON.stringify(text).length - 2)
    const utf8 = new TextEncoder().encode('é"\\\u0001€')
    expect(escapedLength(utf8)).toBe(Buffer.byteLength(JSON.stringify('é"\\\u0001€')) - 2)
  })

  it('bounds a reply by base64 when output that is not UTF-8 would go out as base64', () => {
    expect(replyLength(Uint8Array.of(0xff, 0xff, 0xff), null)).toBe(4)
    expect(replyLength(new Uint8Array(4), 'base85')).toBeGreaterThanOrEqual(10)
  })

  it('refuses what would pass the limit and frees a share once', () => {
    const budget = new OutputBudget(100)
    const a = budget.share()
    const b = budget.share()
    expect(a.take(60)).toBe(true)
    expect(b.take(50)).toBe(false)
    expect(b.take(40)).toBe(true)
    a.settle(10)
    expect(budget.used).toBe(50)
    a.release()
    a.release()
    expect(budget.used).toBe(40)
    expect(budget.peak).toBe(100)
  })
})

describe.each(['native', 'node', 'off'])(
  'many runs printing control characters at once (spawn helper %s)',
  (helper) => {
    const LIMIT = 1024 * 1024
    let t: ExecTestApp
    beforeAll(() => {
      t = buildExecApp(fixture.root, {
        FLOWGATE_EXEC_SPAWN_HELPER: helper,
        FLOWGATE_EXEC_MAX_BUFFERED_BYTES: String(LIMIT),
        FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '256kb',
        FLOWGATE_EXEC_MAX_CONCURRENT: '16',
        FLOWGATE_EXEC_MAX_CONCURRENT_PER_COMMAND: '16',
        FLOWGATE_EXEC_KILL_GRACE_MS: '200',
      })
    })
    afterAll(() => t.exec.stop())

    it('never hold more than exec.max_buffered_bytes, escaping counted; runs past it are truncated', async () => {
      // 200 000 bytes each (under the 256 KiB cap) become 1.2 MB of \u0001 in each reply: 12 of them
      // would need over 14 MB.
      const replies = await Promise.all(
        Array.from({ length: 12 }, async () => {
          const response = await t.run('controls', { args: ['200000'], stdout: { capture: true } })
          expect(response.status).toBe(200)
          return (await response.json()) as Reply
        })
      )
      expect(t.exec.budget.peak).toBeLessThanOrEqual(LIMIT)
      expect(t.exec.budget.used).toBe(0)
      const truncated = replies.filter((reply) => reply.truncated)
      expect(truncated.length).toBeGreaterThan(0)
      for (const reply of replies) {
        // Whatever was kept is whole characters of the output, never a cut escape sequence.
        expect(reply.stdout?.encode).toBeNull()
        expect(reply.stdout?.content.replaceAll('\u0001', '')).toBe('')
        if (!reply.truncated) expect(reply.stdout?.content).toHaveLength(200_000)
      }
      const audits = t.audits().filter((line) => line.overBudget === true)
      expect(audits).toHaveLength(truncated.length)
    }, 30_000)

    it('gives the memory back: a run after the storm is whole', async () => {
      const reply = (await (
        await t.run('controls', { args: ['50000'], stdout: { capture: true } })
      ).json()) as Reply
      expect(reply.truncated).toBeUndefined()
      expect(reply.stdout?.content).toHaveLength(50_000)
      expect(t.exec.budget.used).toBe(0)
    })
  }
)

describe('exec.max_buffered_bytes at start-up', () => {
  it('warns when it is below exec.max_output_bytes (the budget would truncate first)', async () => {
    const t = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_MAX_BUFFERED_BYTES: '1mb',
      FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '2mb',
    })
    expect(t.logs().some((line) => line.msg.startsWith('exec.max_buffered_bytes is below'))).toBe(true)
    await t.exec.stop()
  })

  it('does not warn with the defaults', async () => {
    const t = buildExecApp(fixture.root)
    expect(t.logs().some((line) => line.msg.startsWith('exec.max_buffered_bytes'))).toBe(false)
    await t.exec.stop()
  })
})

describe('a reply queued behind another on a pipelining connection that drops', () => {
  it('gives its budget share back', async () => {
    const t = buildExecApp(fixture.root, { FLOWGATE_EXEC_MAX_BUFFERED_BYTES: '128mb' })
    const server = await serveOnNode(t.app.fetch)
    const { port } = server
    try {
      const post = (path: string, body: string) =>
        `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
      const socket = connect(port, '127.0.0.1')
      await once(socket, 'connect')
      socket.write(
        post('/exec/sleeper', JSON.stringify({ args: ['2'], stdout: { capture: true } })) +
          post('/exec/controls', JSON.stringify({ args: ['100000'], stdout: { capture: true } }))
      )
      // The second run finishes (its 600 kB reply charged) while the first holds the connection.
      // (Charged as its output arrives: wait for all of it, not the first piece.)
      for (let i = 0; i < 100 && t.exec.budget.used < 600_000; i++)
        await new Promise((r) => setTimeout(r, 20))
      expect(t.exec.budget.used).toBeGreaterThanOrEqual(600_000)
      socket.destroy()
      for (let i = 0; i < 150 && t.exec.budget.used > 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(t.exec.budget.used).toBe(0)
    } finally {
      await server.close()
      await t.exec.stop()
    }
  }, 30_000)
})

describe('a reply the client does not read', () => {
  it('stays charged to the budget until it has been sent', async () => {
    const t = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_MAX_BUFFERED_BYTES: '128mb',
      FLOWGATE_EXEC_MAX_OUTPUT_BYTES: '16mb',
    })
    const server = await serveOnNode(t.app.fetch)
    const { port } = server
    try {
      // 8 MB of control characters: a 48 MB reply, far more than the sockets' buffers take.
      const response = await fetch(`http://127.0.0.1:${port}/exec/controls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args: ['8000000'], stdout: { capture: true } }),
      })
      await new Promise((resolve) => setTimeout(resolve, 200))
      expect(t.exec.budget.used).toBeGreaterThanOrEqual(48_000_000)
      const reply = (await response.json()) as Reply
      expect(reply.stdout?.content).toHaveLength(8_000_000)
      for (let i = 0; i < 50 && t.exec.budget.used > 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(t.exec.budget.used).toBe(0)
    } finally {
      await server.close()
      await t.exec.stop()
    }
  }, 30_000)
})
