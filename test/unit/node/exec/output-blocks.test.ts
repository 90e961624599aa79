import { once } from 'node:events'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BLOCK_BYTES, BlockPool, OutputCopies } from '../../../../src/node/exec/output-blocks.ts'
import { buildExecApp, serveOnNode } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

describe('output copies in reused blocks', () => {
  it('copies pieces across block boundaries, in order, independent of the source', () => {
    const pool = new BlockPool()
    const copies = new OutputCopies(pool)
    const first = Buffer.alloc(BLOCK_BYTES - 10, 'a')
    const second = Buffer.alloc(BLOCK_BYTES + 30, 'b')
    const views = [...copies.copy(first), ...copies.copy(second)]
    expect(views.map((view) => view.byteLength)).toEqual([BLOCK_BYTES - 10, 10, BLOCK_BYTES, 20])
    first.fill('x')
    second.fill('y')
    expect(Buffer.concat(views).toString()).toBe('a'.repeat(BLOCK_BYTES - 10) + 'b'.repeat(BLOCK_BYTES + 30))
  })

  it('copies a small piece on its own, without taking a block', () => {
    const pool = new BlockPool()
    const copies = new OutputCopies(pool)
    const piece = Buffer.from('small')
    const [view] = copies.copy(piece)
    piece.fill('x')
    expect(view?.toString()).toBe('small')
    copies.release()
    expect(pool.freeBlocks).toBe(0)
  })

  it('gives blocks back once, reuses them, keeps no more than asked and refuses use after release', () => {
    const pool = new BlockPool(2)
    const a = new OutputCopies(pool)
    const [view] = a.copy(Buffer.alloc(3 * BLOCK_BYTES, 'a'))
    a.release()
    a.release()
    expect(pool.freeBlocks).toBe(2)
    expect(() => a.copy(Buffer.from('late'))).toThrow(/after release/)
    const b = new OutputCopies(pool)
    b.copy(Buffer.alloc(BLOCK_BYTES, 'b'))
    // Blocks come back into use: the first run's first block now holds the second run's bytes.
    expect(view?.buffer).toBe(b.copy(Buffer.alloc(BLOCK_BYTES, 'c'))[0]?.buffer)
    expect(pool.freeBlocks).toBe(0)
  })
})

/** A raw HTTP/1.1 POST whose reply is not read until `read()` is called. */
async function heldRequest(port: number, path: string, body: string) {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.pause()
  socket.write(
    `POST ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`
  )
  return {
    async read(): Promise<string> {
      const chunks: Buffer[] = []
      socket.on('data', (chunk: Buffer) => chunks.push(chunk))
      socket.resume()
      await once(socket, 'end')
      const raw = Buffer.concat(chunks).toString()
      return raw.slice(raw.indexOf('\r\n\r\n') + 4)
    },
  }
}

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

// Only the native helper delivers escaped text, the output that is copied into blocks (with the
// others the reply is built by copying the output anyway).
describe.each(['native'])('replies from reused blocks (spawn helper %s)', (helper) => {
  it('stay whole while a slow client holds one and other runs take blocks meanwhile', async () => {
    const t = buildExecApp(fixture.root, {
      FLOWGATE_EXEC_SPAWN_HELPER: helper,
      FLOWGATE_EXEC_MAX_STDIN_BYTES: '16mb',
      FLOWGATE_EXEC_MAX_CONCURRENT: '64',
      FLOWGATE_EXEC_MAX_CONCURRENT_PER_COMMAND: '64',
    })
    const server = await serveOnNode(t.app.fetch)
    const { port } = server
    try {
      const run = (content: string) => JSON.stringify({ stdin: { content }, stdout: { capture: true } })
      // 6 MB: far more than the sockets take, so most of the reply waits in flowgate's blocks.
      const big = 'held-'.repeat(1_200_000)
      const held = await heldRequest(port, '/exec/echo', run(big))
      await new Promise((resolve) => setTimeout(resolve, 300))
      const others = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const content = `${String.fromCharCode(97 + i)}\u0001"`.repeat(40_000 + i)
          const response = await fetch(`http://127.0.0.1:${port}/exec/echo`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: run(content),
          })
          const reply = (await response.json()) as { stdout?: { content: string } }
          return reply.stdout?.content === content
        })
      )
      expect(others).toEqual(Array(12).fill(true))
      const reply = JSON.parse(await held.read()) as { stdout: { content: string } }
      expect(reply.stdout.content === big).toBe(true)
    } finally {
      await server.close()
      await t.exec.stop()
    }
  }, 30_000)
})
