import { describe, expect, it } from 'vitest'
import { bufferedBody, bufferedResponse, headerOf } from '../../../src/proxy/buffered-body.ts'
import { releasedAtEnd } from '../../../src/proxy/call-signal.ts'
import { readBounded, readBoundedBytes } from '../../../src/proxy/json-rewrite.ts'

describe('buffered engine answers', () => {
  it('carry their bytes beside an ordinary, readable body', async () => {
    const bytes = new TextEncoder().encode('{"a":1}')
    const response = bufferedResponse(bytes, { status: 201, headers: { 'content-type': 'application/json' } })
    expect(bufferedBody(response)).toBe(bytes)
    expect(await readBoundedBytes(response, 100)).toBe(bytes)
    expect(response.status).toBe(201)
    expect(await response.json()).toEqual({ a: 1 })
  })

  it('are read from the stream when the hint is absent', async () => {
    const response = new Response('plain')
    expect(bufferedBody(response)).toBeUndefined()
    expect(new TextDecoder().decode(await readBoundedBytes(response, 100))).toBe('plain')
  })

  it('release the call signal at once (nothing left to stream)', () => {
    let released = 0
    const response = bufferedResponse(new Uint8Array(3), { status: 200 })
    expect(releasedAtEnd(response, () => released++)).toBe(response)
    expect(released).toBe(1)
  })

  it('still obey the rewrite bound', async () => {
    const response = bufferedResponse(new Uint8Array(11), { status: 200 })
    await expect(readBounded(response, 10)).rejects.toMatchObject({ status: 502 })
    expect(await readBounded(bufferedResponse(new TextEncoder().encode('ok'), { status: 200 }), 10)).toBe(
      'ok'
    )
  })
})

describe('releasedAtEnd', () => {
  it('passes a short answer of known length on untouched and releases at once', () => {
    let released = 0
    const response = new Response('{"a":1}', { headers: { 'content-length': '7' } })
    expect(releasedAtEnd(response, () => released++)).toBe(response)
    expect(released).toBe(1)
  })

  it.each([
    ['no length', {}],
    ['over 64 KiB', { 'content-length': String(64 * 1024 + 1) }],
    ['content-coded', { 'content-length': '7', 'content-encoding': 'gzip' }],
  ])('keeps the deadline over a body with %s until it ends', async (_kind, headers) => {
    let released = 0
    const response = new Response('{"a":1}', { headers })
    const wrapped = releasedAtEnd(response, () => released++)
    expect(wrapped).not.toBe(response)
    expect(released).toBe(0)
    await wrapped.arrayBuffer()
    expect(released).toBe(1)
  })
})

describe('headerOf', () => {
  it('reads the record a buffered answer was built from, else the Headers', () => {
    const record = bufferedResponse(new Uint8Array(2), {
      status: 200,
      headers: { 'content-type': 'text/plain' },
    })
    expect(headerOf(record, 'content-type')).toBe('text/plain')
    expect(headerOf(record, 'etag')).toBeNull()
    expect(record.headers.get('content-type')).toBe('text/plain')
    const cookies = new Headers([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ])
    const withHeaders = bufferedResponse(new Uint8Array(2), { status: 200, headers: cookies })
    expect(headerOf(withHeaders, 'set-cookie')).toBe('a=1, b=2')
    expect(headerOf(new Response('x', { headers: { etag: '"1"' } }), 'etag')).toBe('"1"')
  })
})
