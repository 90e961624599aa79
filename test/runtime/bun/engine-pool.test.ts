/** The Bun engine client's pool on its own: shutdown with calls waiting for a socket. */
import { describe, expect, it } from 'bun:test'
import { type AddressInfo, createServer } from 'node:net'
import { createEnginePool } from '../../../src/runtime/bun/engine-pool.ts'

describe('the Bun engine pool', () => {
  it('fails the calls in flight and those waiting when closed, and opens no socket for them', async () => {
    let connections = 0
    const holding = createServer((socket) => {
      connections++
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => holding.listen(0, '127.0.0.1', resolve))
    const pool = createEnginePool({
      hostname: '127.0.0.1',
      port: (holding.address() as AddressInfo).port,
      host: 'engine',
      maxSockets: 1,
    })
    try {
      const calls = [0, 1, 2].map(() =>
        pool.get('/api/hold', {}, 5_000).then(
          () => 'answered',
          (error: Error) =>
            `${error.name}: ${String((error.cause as Error | undefined)?.message ?? error.message)}`
        )
      )
      await Bun.sleep(100)
      pool.close()
      expect(await Promise.all(calls)).toEqual([
        'TypeError: the engine closed the connection before the answer was complete',
        'TypeError: the client is closed',
        'TypeError: the client is closed',
      ])
      await Bun.sleep(100)
      expect(connections).toBe(1)
    } finally {
      pool.close()
      holding.close()
    }
  })

  it('refuses a header or target that would break the request head', async () => {
    const pool = createEnginePool({ hostname: '127.0.0.1', port: 9, host: 'engine' })
    try {
      expect(() => pool.get('/api/x', { 'x-a': 'v\r\nx-b: injected' }, 1_000)).toThrow(/invalid header/)
      expect(() => pool.get('/api/x HTTP/1.1\r\nx: y', {}, 1_000)).toThrow(/invalid request target/)
    } finally {
      pool.close()
    }
  })
})
