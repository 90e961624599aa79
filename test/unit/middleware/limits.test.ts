import { describe, expect, it } from 'vitest'
import { limits } from '../../../src/middleware/limits.ts'
import { buildApp, problemOf, type TestApp } from '../app-harness.ts'

const LIMIT = 64

function limited(): TestApp & { reached: () => number } {
  const flowgate = buildApp({ FLOWGATE_SERVER_BODY_LIMIT: String(LIMIT) })
  let calls = 0
  flowgate.app.post('/echo', async (c) => {
    calls++
    return c.text(await c.req.text())
  })
  flowgate.app.get('/echo', (c) => c.text('read'))
  return { ...flowgate, reached: () => calls }
}

function stream(bytes: number, chunk = 16): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close()
      const size = Math.min(chunk, bytes - sent)
      controller.enqueue(new Uint8Array(size).fill(97))
      sent += size
    },
  })
}

function chunkedRequest(bytes: number): Request {
  return new Request('http://flowgate.test/echo', {
    method: 'POST',
    body: stream(bytes),
    duplex: 'half',
  } as RequestInit)
}

describe('limits', () => {
  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'refuses maxBodyBytes %d at construction',
    (maxBodyBytes) => {
      expect(() => limits({ maxBodyBytes })).toThrow(/maxBodyBytes/)
    }
  )

  it('accepts a body exactly at the limit', async () => {
    const response = await limited().app.request('/echo', { method: 'POST', body: 'a'.repeat(LIMIT) })
    expect(response.status).toBe(200)
    expect(await response.text()).toHaveLength(LIMIT)
  })

  it('refuses a body one byte over the limit by Content-Length without running the route', async () => {
    const flowgate = limited()
    const response = await flowgate.app.request('/echo', { method: 'POST', body: 'a'.repeat(LIMIT + 1) })
    expect(response.status).toBe(413)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({
      code: 'FG_ERR_HTTP_BODY_TOO_LARGE',
      status: 413,
      detail: `The request body is larger than ${LIMIT} bytes.`,
    })
    expect(flowgate.reached()).toBe(0)
  })

  it('asks to close the connection after refusing a body', async () => {
    const response = await limited().app.request('/echo', { method: 'POST', body: 'a'.repeat(LIMIT + 1) })
    expect(response.headers.get('connection')).toBe('close')
    expect(response.headers.get('x-request-id')).toBeTruthy()
  })

  it('refuses a chunked body without Content-Length once it passes the limit', async () => {
    const request = chunkedRequest(LIMIT * 4)
    expect(request.headers.get('content-length')).toBeNull()
    const response = await limited().app.request(request)
    expect(response.status).toBe(413)
    expect((await problemOf(response)).code).toBe('FG_ERR_HTTP_BODY_TOO_LARGE')
  })

  it('accepts a chunked body within the limit', async () => {
    const response = await limited().app.request(chunkedRequest(LIMIT))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('a'.repeat(LIMIT))
  })

  it('lets a request without a body through', async () => {
    const response = await limited().app.request('/echo')
    expect(response.status).toBe(200)
  })

  it('takes the limit from server.body_limit with a unit', async () => {
    const flowgate = buildApp({ FLOWGATE_SERVER_BODY_LIMIT: '1kb' })
    flowgate.app.post('/echo', async (c) => c.text(await c.req.text()))
    const at = await flowgate.app.request('/echo', { method: 'POST', body: 'a'.repeat(1024) })
    const over = await flowgate.app.request('/echo', { method: 'POST', body: 'a'.repeat(1025) })
    expect([at.status, over.status]).toEqual([200, 413])
  })
})
