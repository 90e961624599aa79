import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { accessLog } from '../../../src/middleware/access-log.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { buildApp, type LogLine } from '../app-harness.ts'

function accessLines(lines: LogLine[]): LogLine[] {
  return lines.filter((line) => line.msg === 'request')
}

describe('accessLog', () => {
  it('writes one line per request with method, route, path, status, time and request id', async () => {
    const flowgate = buildApp()
    const response = await flowgate.app.request('/healthz')
    const lines = accessLines(flowgate.logs())
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/healthz',
      path: '/healthz',
      status: 200,
      requestId: response.headers.get('x-request-id'),
    })
    expect(typeof lines[0]?.ms).toBe('number')
  })

  it('labels the route by its pattern, not the raw path', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/api/items/:id', (c) => c.text(c.req.param('id')))
    await flowgate.app.request('/api/items/42')
    expect(accessLines(flowgate.logs())[0]).toMatchObject({ route: '/api/items/:id', path: '/api/items/42' })
  })

  it('labels a path no route serves as unmatched', async () => {
    const flowgate = buildApp()
    await flowgate.app.request('/no/such/thing')
    expect(accessLines(flowgate.logs())[0]).toMatchObject({
      route: '(unmatched)',
      status: 404,
      level: 'info',
    })
  })

  it('writes a 5xx answer at warn', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/boom', () => {
      throw new Error('boom')
    })
    await flowgate.app.request('/boom')
    expect(accessLines(flowgate.logs())[0]).toMatchObject({ level: 'warn', status: 500, route: '/boom' })
  })

  it('never writes headers, cookies or the query string', async () => {
    const flowgate = buildApp()
    await flowgate.app.request('/healthz?token=query-secret&x=1', {
      headers: {
        authorization: 'Bearer header-secret',
        cookie: 'sid=cookie-secret',
        'x-api-key': 'key-secret',
        'user-agent': 'agent-string',
      },
    })
    const text = flowgate.lines.join('\n')
    for (const secret of ['query-secret', 'header-secret', 'cookie-secret', 'key-secret', 'agent-string']) {
      expect(text).not.toContain(secret)
    }
    expect(accessLines(flowgate.logs())[0]?.path).toBe('/healthz')
  })

  it('never writes the request body', async () => {
    const flowgate = buildApp()
    flowgate.app.post('/echo', async (c) => c.text(await c.req.text()))
    await flowgate.app.request('/echo', { method: 'POST', body: 'body-secret' })
    expect(flowgate.lines.join('\n')).not.toContain('body-secret')
  })

  it('names the tenant and user of an identified caller', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/mine', (c) => {
      c.set('principal', { tenant: 'acme', user: 'ada', roles: [], groups: [], isAdmin: false })
      return c.text('ok')
    })
    await flowgate.app.request('/mine')
    const line = accessLines(flowgate.logs())[0]
    expect(line).toMatchObject({ tenant: 'acme', user: 'ada' })
    expect(line).not.toHaveProperty('roles')
  })

  it('leaves tenant and user out for an anonymous caller', async () => {
    const flowgate = buildApp()
    await flowgate.app.request('/healthz')
    const line = accessLines(flowgate.logs())[0]
    expect(line).not.toHaveProperty('tenant')
    expect(line).not.toHaveProperty('user')
  })

  it('writes no access line when disabled but still gives routes a request-scoped logger', async () => {
    const flowgate = buildApp({ FLOWGATE_LOG_ACCESS: 'false' })
    flowgate.app.get('/work', (c) => {
      c.var.logger.info('working')
      return c.text('ok')
    })
    const response = await flowgate.app.request('/work')
    const lines = flowgate.logs()
    expect(accessLines(lines)).toEqual([])
    expect(lines).toEqual([
      expect.objectContaining({ msg: 'working', requestId: response.headers.get('x-request-id') }),
    ])
  })

  it('is enabled unless told otherwise', async () => {
    const written: string[] = []
    const app = new Hono<AppEnv>()
    app.use(accessLog({ logger: createLogger({ sink: (line) => written.push(line) }) }))
    app.get('/', (c) => c.text('ok'))
    await app.request('/')
    expect(written).toHaveLength(1)
  })
})
