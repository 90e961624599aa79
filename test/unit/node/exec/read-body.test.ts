import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../../src/env.ts'
import { readRequestBody } from '../../../../src/node/exec/read-body.ts'

/** Every byte value, so nothing is decoded or re-encoded on the way. */
const BYTES = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)

const outcomes: string[] = []
const app = new Hono<AppEnv>()
app.post('/echo', async (c) => {
  try {
    const body = await readRequestBody(c)
    outcomes.push(`read ${body.byteLength}`)
    return c.body(body as Uint8Array<ArrayBuffer>)
  } catch (error) {
    outcomes.push(`failed: ${(error as Error).message}`)
    return c.text('failed', 400)
  }
})

let server: ReturnType<typeof serve>
let port = 0
beforeAll(async () => {
  server = await new Promise((resolve) => {
    const created = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(created))
  })
  port = (server.address() as AddressInfo).port
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('readRequestBody', () => {
  it('reads a body framed by Content-Length from the Node request, byte for byte', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: BYTES })
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(BYTES)
  })

  it('reads a chunked body through the portable path', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(BYTES.subarray(0, 1000))
        controller.enqueue(BYTES.subarray(1000))
        controller.close()
      },
    })
    const response = await fetch(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      body,
      duplex: 'half',
    } as RequestInit)
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(BYTES)
  })

  it('reads an empty framed body', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/echo`, { method: 'POST', body: '' })
    expect((await response.arrayBuffer()).byteLength).toBe(0)
  })

  it('fails, rather than waiting, when the client goes away before the announced length', async () => {
    outcomes.length = 0
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b')
        setTimeout(() => socket.destroy(), 50)
      })
      socket.on('close', () => resolve())
      socket.on('error', reject)
    })
    for (let i = 0; i < 50 && outcomes.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
    expect(outcomes).toHaveLength(1)
    expect(outcomes[0]).toMatch(/^failed: /)
  })

  it('reads through hono where no Node request exists (other runtimes, app.request)', async () => {
    const response = await app.request('/echo', { method: 'POST', body: BYTES })
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(BYTES)
  })
})
