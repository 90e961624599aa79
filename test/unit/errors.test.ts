import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import {
  AppError,
  ERRORS,
  type ErrorCode,
  PROBLEM_CONTENT_TYPE,
  problemResponse,
  toProblem,
} from '../../src/errors.ts'

const CODES = Object.keys(ERRORS) as ErrorCode[]

describe('ERRORS', () => {
  it.each(CODES)('names %s FG_ERR_<AREA>_<WHAT> with an error status and a title', (code) => {
    expect(code).toMatch(/^FG_ERR_[A-Z]+(_[A-Z]+)*$/)
    expect(ERRORS[code].status).toBeGreaterThanOrEqual(400)
    expect(ERRORS[code].status).toBeLessThan(600)
    expect(ERRORS[code].title).toMatch(/^[A-Z].*[^.]$/)
  })
})

describe('AppError', () => {
  it('carries the status and title of its code', () => {
    const error = new AppError('FG_ERR_HTTP_BODY_TOO_LARGE')
    expect(error).toBeInstanceOf(HTTPException)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('AppError')
    expect(error.code).toBe('FG_ERR_HTTP_BODY_TOO_LARGE')
    expect(error.status).toBe(413)
    expect(error.message).toBe('Request body exceeds the size limit')
  })

  it('keeps detail, errors, headers and cause', () => {
    const cause = new Error('root')
    const error = new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      detail: 'bad',
      errors: [{ where: '/a', message: 'm' }],
      headers: { 'retry-after': '1' },
      cause,
    })
    expect(error).toMatchObject({ detail: 'bad', errors: [{ where: '/a', message: 'm' }], cause })
    expect(error.headers).toEqual({ 'retry-after': '1' })
  })
})

describe('toProblem', () => {
  it('builds the RFC 9457 body with a stable type URN, code and request id', () => {
    expect(toProblem(new AppError('FG_ERR_NOT_READY', { detail: 'Failing checks: db.' }), 'r-1')).toEqual({
      type: 'urn:flowgate:error:FG_ERR_NOT_READY',
      title: 'Not ready',
      status: 503,
      code: 'FG_ERR_NOT_READY',
      detail: 'Failing checks: db.',
      requestId: 'r-1',
    })
  })

  it('leaves out what is not given', () => {
    expect(Object.keys(toProblem(new AppError('FG_ERR_INTERNAL'), undefined)).sort()).toEqual([
      'code',
      'status',
      'title',
      'type',
    ])
  })

  it('never includes the cause', () => {
    const problem = toProblem(new AppError('FG_ERR_INTERNAL', { cause: new Error('hunter2') }), 'r')
    expect(JSON.stringify(problem)).not.toContain('hunter2')
  })
})

describe('problemResponse', () => {
  it('answers with the status, problem+json and the request id', async () => {
    const response = problemResponse(new AppError('FG_ERR_HTTP_NOT_FOUND'), 'r-2')
    expect(response.status).toBe(404)
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
    expect(response.headers.get('x-request-id')).toBe('r-2')
    expect(await response.json()).toEqual(toProblem(new AppError('FG_ERR_HTTP_NOT_FOUND'), 'r-2'))
  })

  it('adds the headers of the error but keeps its own content type', () => {
    const response = problemResponse(
      new AppError('FG_ERR_HTTP_METHOD_NOT_ALLOWED', {
        headers: { allow: 'GET', 'content-type': 'text/html' },
      }),
      undefined
    )
    expect(response.headers.get('allow')).toBe('GET')
    expect(response.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE)
    expect(response.headers.has('x-request-id')).toBe(false)
  })
})
