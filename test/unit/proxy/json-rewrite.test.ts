import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import {
  jsonResponse,
  passThrough,
  readBounded,
  readJson,
  scrubTenant,
} from '../../../src/proxy/json-rewrite.ts'

function streamOf(chunks: string[], failWith?: Error): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder()
  let i = 0
  return new ReadableStream({
    pull(controller) {
      const chunk = chunks[i++]
      if (chunk !== undefined) controller.enqueue(encoder.encode(chunk))
      else if (failWith) controller.error(failWith)
      else controller.close()
    },
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise
    return undefined
  } catch (error) {
    return error instanceof AppError ? `${error.status} ${error.code}` : 'not an AppError'
  }
}

describe('readBounded', () => {
  it('reads a body up to the limit, decoding UTF-8 split across chunks', async () => {
    const bytes = new TextEncoder().encode('aä')
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, 2))
        controller.enqueue(bytes.slice(2))
        controller.close()
      },
    })
    expect(await readBounded(new Response(stream), 3)).toBe('aä')
  })

  it('refuses a declared Content-Length over the limit without reading', async () => {
    let pulled = 0
    const body = new ReadableStream({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(10))
      },
    })
    const response = new Response(body, { headers: { 'content-length': '1000' } })
    expect(await codeOf(readBounded(response, 100))).toBe('502 FG_ERR_UPSTREAM_INVALID')
    expect(pulled).toBeLessThanOrEqual(1)
  })

  it('stops reading a streamed body once it passes the limit', async () => {
    let pulled = 0
    const body = new ReadableStream({
      pull(controller) {
        pulled++
        controller.enqueue(new Uint8Array(64))
      },
    })
    expect(await codeOf(readBounded(new Response(body), 100))).toBe('502 FG_ERR_UPSTREAM_INVALID')
    expect(pulled).toBeLessThan(5)
  })

  it('turns a deadline that strikes mid-body into 504', async () => {
    const timeout = new DOMException('The operation timed out.', 'TimeoutError')
    expect(await codeOf(readBounded(new Response(streamOf(['{"a":'], timeout)), 100))).toBe(
      '504 FG_ERR_UPSTREAM_TIMEOUT'
    )
  })

  it('turns a connection broken mid-body into 502', async () => {
    expect(
      await codeOf(readBounded(new Response(streamOf(['{"a":'], new TypeError('terminated'))), 100))
    ).toBe('502 FG_ERR_UPSTREAM_UNAVAILABLE')
  })

  it('reads an absent body as empty', async () => {
    expect(await readBounded(new Response(null), 10)).toBe('')
  })
})

describe('readJson', () => {
  it('parses JSON and reads an empty body as undefined', async () => {
    expect(await readJson(new Response('{"a":[1]}'), 100)).toEqual({ a: [1] })
    expect(await readJson(new Response(' '), 100)).toBeUndefined()
  })

  it('answers 502 for malformed JSON', async () => {
    expect(await codeOf(readJson(new Response('<html>'), 100))).toBe('502 FG_ERR_UPSTREAM_INVALID')
  })
})

describe('scrubTenant', () => {
  it("removes the tenant's prefix everywhere and leaves the rest", () => {
    expect(scrubTenant('No such workflow acme___a; acme___b; acmex___c; GLOBAL___d', 'acme')).toBe(
      'No such workflow a; b; acmex___c; GLOBAL___d'
    )
  })
})

describe('passThrough', () => {
  it('passes the status and allow-listed headers with the body scrubbed', async () => {
    const engine = new Response('{"status":409,"message":"Workflow with acme___w.1 already exists!"}', {
      status: 409,
      headers: { 'content-type': 'application/json', 'set-cookie': 'x=1' },
    })
    const response = await passThrough(engine, 'acme', 1_000)
    expect(response.status).toBe(409)
    expect(response.headers.get('set-cookie')).toBeNull()
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.text()).toBe('{"status":409,"message":"Workflow with w.1 already exists!"}')
  })

  it('keeps a 204 empty', async () => {
    const response = await passThrough(new Response(null, { status: 204 }), 'acme', 10)
    expect(response.status).toBe(204)
    expect(await response.text()).toBe('')
  })

  it('answers 502 instead of relaying an oversized engine body', async () => {
    expect(await codeOf(passThrough(new Response('x'.repeat(200)), 'acme', 100))).toBe(
      '502 FG_ERR_UPSTREAM_INVALID'
    )
  })
})

describe('jsonResponse', () => {
  it('serialises with a JSON content type and the status', async () => {
    const response = jsonResponse([1], 201)
    expect(response.status).toBe(201)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual([1])
  })
})
