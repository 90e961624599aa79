import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { AppError, type ErrorCode } from '../../../src/errors.ts'
import { errorHandler, errorResponse, methodNotAllowed, notFound } from '../../../src/middleware/errors.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { buildApp, problemOf } from '../app-harness.ts'

describe('notFound', () => {
  it('answers an unknown path with a 404 problem', async () => {
    const response = await buildApp().app.request('/no/such/route', { headers: { 'x-request-id': 'nf-1' } })
    expect(response.status).toBe(404)
    expect(await problemOf(response)).toEqual({
      type: 'urn:flowgate:error:FG_ERR_HTTP_NOT_FOUND',
      title: 'No such route',
      status: 404,
      code: 'FG_ERR_HTTP_NOT_FOUND',
      detail: 'No route serves this method and path.',
      requestId: 'nf-1',
    })
  })

  it('does not echo the requested path', async () => {
    const response = await buildApp().app.request('/%3Cscript%3Ealert(1)%3C%2Fscript%3E')
    expect(await response.text()).not.toMatch(/script|alert/i)
  })
})

describe('methodNotAllowed', () => {
  it('answers a wrong method with 405, an Allow header and a problem', async () => {
    const response = await buildApp().app.request('/healthz', { method: 'DELETE' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, HEAD')
    expect(await problemOf(response)).toMatchObject({
      code: 'FG_ERR_HTTP_METHOD_NOT_ALLOWED',
      status: 405,
      detail: 'DELETE is not allowed here; use GET, HEAD.',
    })
  })

  it('lists every method the path serves', async () => {
    const flowgate = buildApp()
    flowgate.app.post('/things/:id', (c) => c.text('post'))
    flowgate.app.put('/things/:id', (c) => c.text('put'))
    const response = await flowgate.app.request('/things/1', { method: 'PATCH' })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('POST, PUT')
  })

  it('keeps answering 404 for a path no method serves', async () => {
    const response = await buildApp().app.request('/nothing', { method: 'DELETE' })
    expect(response.status).toBe(404)
  })

  it('lets HEAD through where GET is served', async () => {
    const response = await buildApp().app.request('/healthz', { method: 'HEAD' })
    expect(response.status).toBe(200)
  })

  it('works on a bare app with the other boundary handlers', async () => {
    const app = new Hono<AppEnv>()
    app.use(methodNotAllowed(app))
    app.get('/only-get', (c) => c.text('ok'))
    app.notFound(notFound())
    const response = await app.request('/only-get', { method: 'POST' })
    expect(response.status).toBe(405)
    expect((await problemOf(response)).requestId).toBeUndefined()
  })
})

describe('errorHandler', () => {
  it('renders a thrown AppError with its code, detail, errors and headers', async () => {
    const flowgate = buildApp()
    flowgate.app.post('/validate', () => {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        detail: 'args must be an array',
        errors: [{ where: '/args', message: 'expected array' }],
        headers: { 'retry-after': '5' },
      })
    })
    const response = await flowgate.app.request('/validate', { method: 'POST' })
    expect(response.status).toBe(400)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(await problemOf(response)).toMatchObject({
      code: 'FG_ERR_HTTP_BAD_REQUEST',
      title: 'The request is not valid',
      detail: 'args must be an array',
      errors: [{ where: '/args', message: 'expected array' }],
    })
  })

  it('answers an unexpected error with a bare 500 that echoes nothing', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/crash', () => {
      throw new Error('db password=hunter2 at /srv/app/db.ts:12')
    })
    const response = await flowgate.app.request('/crash')
    expect(response.status).toBe(500)
    const text = await response.clone().text()
    expect(text).not.toMatch(/hunter2|db\.ts|password/)
    const problem = await problemOf(response)
    expect(problem).toMatchObject({ code: 'FG_ERR_INTERNAL', title: 'Internal error', status: 500 })
    expect(problem).not.toHaveProperty('detail')
  })

  it('logs an unexpected error at error level with its cause and the request id', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/crash', () => {
      throw new RangeError('out of range')
    })
    const response = await flowgate.app.request('/crash')
    const failed = flowgate.logs().filter((line) => line.msg === 'request failed')
    expect(failed).toEqual([
      expect.objectContaining({
        level: 'error',
        code: 'FG_ERR_INTERNAL',
        requestId: response.headers.get('x-request-id'),
        error: expect.objectContaining({ name: 'RangeError', message: 'out of range' }),
      }),
    ])
  })

  it('logs an unreachable engine as one warning naming the cause chain, without a stack', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/engine', () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8080'), {
        code: 'ECONNREFUSED',
      })
      throw new AppError('FG_ERR_UPSTREAM_UNAVAILABLE', {
        cause: new TypeError('fetch failed', { cause: refused }),
      })
    })
    const response = await flowgate.app.request('/engine')
    expect(response.status).toBe(502)
    const lines = flowgate.logs().filter((line) => line.level === 'warn' || line.level === 'error')
    const engine = lines.filter((line) => line.msg === 'engine call failed')
    expect(engine).toEqual([
      expect.objectContaining({
        level: 'warn',
        code: 'FG_ERR_UPSTREAM_UNAVAILABLE',
        error: [
          { name: 'TypeError', message: 'fetch failed' },
          { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:8080', code: 'ECONNREFUSED' },
        ],
      }),
    ])
    expect(lines.filter((line) => line.level === 'error')).toEqual([])
    expect(JSON.stringify(engine)).not.toContain('stack')
  })

  it.each<[ContentfulStatusCode, number, ErrorCode]>([
    [400, 400, 'FG_ERR_HTTP_BAD_REQUEST'],
    [404, 404, 'FG_ERR_HTTP_NOT_FOUND'],
    [405, 405, 'FG_ERR_HTTP_METHOD_NOT_ALLOWED'],
    [413, 413, 'FG_ERR_HTTP_BODY_TOO_LARGE'],
    [415, 415, 'FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE'],
    [418, 500, 'FG_ERR_INTERNAL'],
    [502, 500, 'FG_ERR_INTERNAL'],
  ])('turns a Hono HTTPException %d into %d %s', async (thrown, status, code) => {
    const flowgate = buildApp()
    flowgate.app.get('/hono', () => {
      throw new HTTPException(thrown, { message: 'internal hono message' })
    })
    const response = await flowgate.app.request('/hono')
    expect(response.status).toBe(status)
    const text = await response.clone().text()
    expect(text).not.toContain('internal hono message')
    expect((await problemOf(response)).code).toBe(code)
  })

  it('logs a client error with a cause at debug only', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/bad', () => {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', { cause: new SyntaxError('Unexpected token') })
    })
    await flowgate.app.request('/bad')
    const lines = flowgate.logs().filter((line) => line.msg !== 'request')
    expect(lines).toEqual([
      expect.objectContaining({ level: 'debug', msg: 'request rejected', code: 'FG_ERR_HTTP_BAD_REQUEST' }),
    ])
  })

  it('logs nothing beyond the access line for a client error without a cause', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/bad', () => {
      throw new AppError('FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE')
    })
    await flowgate.app.request('/bad')
    expect(flowgate.logs().map((line) => line.msg)).toEqual(['request'])
  })

  it('logs through the fallback logger when no request logger is set', async () => {
    const written: string[] = []
    const app = new Hono<AppEnv>()
    app.get('/crash', () => {
      throw new Error('early')
    })
    app.onError(errorHandler(createLogger({ sink: (line) => written.push(line) })))
    const response = await app.request('/crash')
    expect(response.status).toBe(500)
    expect(written).toHaveLength(1)
    expect(JSON.parse(written[0] ?? '{}')).toMatchObject({
      msg: 'request failed',
      error: { message: 'early' },
    })
  })
})

describe('errorResponse for a client that left', () => {
  const gone = () => AbortSignal.abort('Client connection prematurely closed.')
  const here = () => new AbortController().signal
  const reset = () => Object.assign(new Error('aborted'), { code: 'ECONNRESET' })

  it('answers 499 with a debug line when reading a cut body failed after the client left', () => {
    const lines: string[] = []
    const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) })
    expect(errorResponse(reset(), logger, 'r1', gone).status).toBe(499)
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['debug'])
  })

  it('answers 500 for the same error while the client is still there', () => {
    const logger = createLogger({ level: 'silent' })
    expect(errorResponse(reset(), logger, 'r2', here).status).toBe(500)
  })

  it("keeps flowgate's own errors as they are when the client left", () => {
    const logger = createLogger({ level: 'silent' })
    expect(errorResponse(new AppError('FG_ERR_HTTP_BAD_REQUEST'), logger, 'r3', gone).status).toBe(400)
  })
})
