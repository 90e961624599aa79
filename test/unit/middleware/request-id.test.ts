import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { AppError } from '../../../src/errors.ts'
import { requestId } from '../../../src/middleware/request-id.ts'
import { buildApp, problemOf, UUID } from '../app-harness.ts'

function idOf(response: Response): string {
  return response.headers.get('x-request-id') ?? ''
}

describe('requestId', () => {
  it('gives a request without an id a new UUID', async () => {
    const response = await buildApp().app.request('/healthz')
    expect(idOf(response)).toMatch(UUID)
  })

  it('gives each request its own id', async () => {
    const { app } = buildApp()
    const ids = new Set<string>()
    for (let i = 0; i < 5; i++) ids.add(idOf(await app.request('/healthz')))
    expect(ids.size).toBe(5)
  })

  it.each(['abc-123_X=', 'a.b:c', 'Root=1-5f84c7a1-abc', '0', 'x'.repeat(200)])(
    'reuses the well-formed inbound id %j',
    async (inbound) => {
      const response = await buildApp().app.request('/healthz', { headers: { 'x-request-id': inbound } })
      expect(idOf(response)).toBe(inbound)
    }
  )

  it.each([
    ['empty', ''],
    ['with a space', 'has space'],
    ['with a tab', 'tab\there'],
    ['with a semicolon', 'semi;colon'],
    ['with markup', '<script>alert(1)</script>'],
    ['with a quote', 'say"hi'],
    ['with a slash', '../../etc'],
    ['with a comma', 'a,b'],
    ['with JSON', '{"level":"error"}'],
    ['with a percent-encoded newline', 'a%0d%0alevel=error'],
    ['with a non-ASCII letter', 'caf\u00e9'],
    ['longer than 200 characters', 'x'.repeat(201)],
  ])('replaces an inbound id %s', async (_what, inbound) => {
    const response = await buildApp().app.request('/healthz', { headers: { 'x-request-id': inbound } })
    expect(idOf(response)).not.toBe(inbound)
    expect(idOf(response)).toMatch(UUID)
  })

  it('puts the id on a 404 problem and in its body', async () => {
    const response = await buildApp().app.request('/nowhere', { headers: { 'x-request-id': 'trace-404' } })
    expect(idOf(response)).toBe('trace-404')
    expect((await problemOf(response)).requestId).toBe('trace-404')
  })

  it('puts the id on the problem of an error thrown by a route', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/fails', () => {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST')
    })
    const response = await flowgate.app.request('/fails', { headers: { 'x-request-id': 'trace-400' } })
    expect(response.status).toBe(400)
    expect(idOf(response)).toBe('trace-400')
    expect((await problemOf(response)).requestId).toBe('trace-400')
  })

  it('puts the id on a 405 answer', async () => {
    const response = await buildApp().app.request('/healthz', {
      method: 'DELETE',
      headers: { 'x-request-id': 'trace-405' },
    })
    expect(response.status).toBe(405)
    expect(idOf(response)).toBe('trace-405')
  })

  it('puts the id on a response whose headers are immutable', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/moved', () => Response.redirect('http://flowgate.test/healthz', 302))
    const response = await flowgate.app.request('/moved', { headers: { 'x-request-id': 'trace-302' } })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('http://flowgate.test/healthz')
    expect(idOf(response)).toBe('trace-302')
  })

  it('hands the id to the route and its logger', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/who', (c) => {
      c.var.logger.info('inside')
      return c.text(c.var.requestId)
    })
    const response = await flowgate.app.request('/who', { headers: { 'x-request-id': 'trace-me' } })
    expect(await response.text()).toBe('trace-me')
    expect(flowgate.logs().filter((line) => line.msg === 'inside')).toEqual([
      expect.objectContaining({ requestId: 'trace-me' }),
    ])
  })

  it('honours a custom maxLength', async () => {
    const app = new Hono<AppEnv>()
    app.use(requestId({ maxLength: 10 }))
    app.get('/', (c) => c.text('ok'))
    expect(idOf(await app.request('/', { headers: { 'x-request-id': '0123456789' } }))).toBe('0123456789')
    expect(idOf(await app.request('/', { headers: { 'x-request-id': '0123456789a' } }))).toMatch(UUID)
  })

  it.each([7, 8.5, 0, -1, Number.NaN])('refuses maxLength %d at construction', (maxLength) => {
    expect(() => requestId({ maxLength })).toThrow(/maxLength/)
  })
})
