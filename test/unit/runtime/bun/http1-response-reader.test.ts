import { describe, expect, it } from 'vitest'
import {
  type AnswerHead,
  AnswerReader,
  MAX_HEAD_BYTES,
} from '../../../../src/runtime/bun/http1-response-reader.ts'

interface Read {
  heads: AnswerHead[]
  body: string
  done: boolean
  /** Bytes the reader took of everything pushed. */
  used: number
}

/** Feeds `wire` in the given pieces (offsets where it is cut), then the connection's end if `closed`. */
function read(wire: string, cuts: number[] = [], closed = false): Read {
  const result: Read = { heads: [], body: '', done: false, used: 0 }
  const reader = new AnswerReader({
    head: (head) => result.heads.push(head),
    body: (bytes) => {
      result.body += Buffer.from(bytes).toString('latin1')
    },
    done: () => {
      result.done = true
    },
  })
  const bytes = Buffer.from(wire, 'latin1')
  let from = 0
  for (const at of [...cuts, bytes.byteLength]) {
    // Each piece in its own buffer, as a socket hands them over.
    result.used += reader.push(new Uint8Array(bytes.subarray(from, at)))
    from = at
  }
  if (closed) reader.end()
  return result
}

/** The same answer read whole, cut at every byte, and cut at 50 random places. */
function everyWay(wire: string, closed = false): Read[] {
  const ways = [read(wire, [], closed)]
  for (let at = 1; at < wire.length; at++) ways.push(read(wire, [at], closed))
  for (let i = 0; i < 50; i++) {
    const cuts = [
      ...new Set(Array.from({ length: 5 }, () => 1 + Math.floor(Math.random() * (wire.length - 1)))),
    ]
    ways.push(
      read(
        wire,
        cuts.sort((a, b) => a - b),
        closed
      )
    )
  }
  return ways
}

const OK_HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n'

describe('reading an HTTP/1.1 answer', () => {
  it('reads a Content-Length answer the same however it is cut', () => {
    const wire = `${OK_HEAD}Content-Length: 13\r\nETag: "7"\r\n\r\n{"sizes":[3]}`
    for (const result of everyWay(wire)) {
      expect(result.heads).toEqual([
        {
          status: 200,
          headers: { 'content-type': 'application/json', 'content-length': '13', etag: '"7"' },
          keepAlive: true,
        },
      ])
      expect([result.body, result.done, result.used]).toEqual(['{"sizes":[3]}', true, wire.length])
    }
  })

  it('reads a chunked answer (extensions and trailers dropped) the same however it is cut', () => {
    const wire = `${OK_HEAD}Transfer-Encoding: chunked\r\n\r\n5;name=x\r\nhello\r\nA\r\n, world!!!\r\n0\r\nx-checksum: 1\r\n\r\n`
    for (const result of everyWay(wire)) {
      expect(result.heads[0]?.keepAlive).toBe(true)
      expect([result.body, result.done, result.used]).toEqual(['hello, world!!!', true, wire.length])
    }
  })

  it('reads an answer without length until the connection closes, and never keeps that connection', () => {
    for (const result of everyWay(`${OK_HEAD}\r\nall of it`, true)) {
      expect(result.heads[0]?.keepAlive).toBe(false)
      expect([result.body, result.done]).toEqual(['all of it', true])
    }
  })

  it('gives 204 and 304 no body, skips informational heads and joins repeated fields', () => {
    const notModified = read(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 99\r\n\r\n'
    )
    expect(notModified.heads).toEqual([
      { status: 304, headers: { etag: '"v1"', 'content-length': '99' }, keepAlive: true },
    ])
    expect([notModified.body, notModified.done]).toEqual(['', true])
    const repeated = read(
      'HTTP/1.1 204 No Content\r\nCache-Control: no-cache\r\ncache-control: private\r\n__proto__: x\r\n\r\n'
    )
    // A field named __proto__ is one like any other.
    expect(Object.entries(repeated.heads[0]?.headers ?? {})).toEqual([
      ['cache-control', 'no-cache, private'],
      ['__proto__', 'x'],
    ])
    expect(repeated.done).toBe(true)
  })

  it('keeps a connection only when the version and Connection header allow it', () => {
    const keep = (wire: string) => read(wire).heads[0]?.keepAlive
    expect(keep('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n')).toBe(true)
    expect(keep('HTTP/1.1 200 OK\r\nConnection: Close\r\ncontent-length: 0\r\n\r\n')).toBe(false)
    expect(keep('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n')).toBe(false)
    expect(keep('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 0\r\n\r\n')).toBe(true)
    // Chunking in HTTP/1.0, which has none: read, and the connection is not trusted again.
    expect(
      keep('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n')
    ).toBe(false)
    // Both framings: chunked is read, and the connection is not trusted again.
    const both = read(`${OK_HEAD}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`)
    expect([both.body, both.heads[0]?.keepAlive]).toEqual(['ok', false])
  })

  it('takes only the bytes of its answer and says so', () => {
    const wire = `${OK_HEAD}content-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n`
    const result = read(wire)
    expect([result.body, result.done, result.used]).toEqual(['ok', true, wire.indexOf('HTTP/1.1 200', 5)])
  })

  it.each([
    ['a malformed status line', 'HTTP/1.1 20 OK\r\n\r\n', /status line/],
    ['another protocol', 'ICY 200 OK\r\n\r\n', /status line/],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n', /switched protocols/],
    ['a folded header', `${OK_HEAD} folded\r\ncontent-length: 0\r\n\r\n`, /malformed header/],
    ['a space before the colon', `${OK_HEAD}content-length : 0\r\n\r\n`, /malformed header/],
    [
      'a bare LF in the head',
      'HTTP/1.1 200 OK\r\nx-a: 1\nx-b: 2\r\ncontent-length: 0\r\n\r\n',
      /malformed header/,
    ],
    ['a NUL in a value', `${OK_HEAD}x-a: 1\u0000\r\ncontent-length: 0\r\n\r\n`, /control character/],
    ['two lengths', `${OK_HEAD}content-length: 2\r\ncontent-length: 3\r\n\r\nok`, /Content-Length/],
    ['a negative length', `${OK_HEAD}content-length: -1\r\n\r\n`, /Content-Length/],
    ['another transfer coding', `${OK_HEAD}transfer-encoding: gzip, chunked\r\n\r\n`, /transfer coding/],
    ['a chunk size that is not hex', `${OK_HEAD}transfer-encoding: chunked\r\n\r\nzz\r\n`, /chunk size/],
    [
      'a chunk longer than its size',
      `${OK_HEAD}transfer-encoding: chunked\r\n\r\n2\r\nokay\r\n`,
      /more bytes in a chunk/,
    ],
    ['a chunk line ended by LF alone', `${OK_HEAD}transfer-encoding: chunked\r\n\r\n2\nok`, /without CRLF/],
    [
      'an over-long chunk line',
      `${OK_HEAD}transfer-encoding: chunked\r\n\r\n1;${'x'.repeat(5000)}\r\n`,
      /over-long/,
    ],
    [
      'a malformed trailer',
      `${OK_HEAD}transfer-encoding: chunked\r\n\r\n0\r\nnot a field\r\n\r\n`,
      /trailer/,
    ],
  ])('refuses %s', (_name, wire, message) => {
    expect(() => read(wire)).toThrow(message)
  })

  it('refuses a head over its limit, whole or in pieces, without holding more than the limit', () => {
    const long = `${OK_HEAD}x-big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`
    expect(() => read(long)).toThrow(/answer head is over/)
    const cuts = Array.from({ length: 70 }, (_, i) => (i + 1) * 1024)
    expect(() => read(long, cuts)).toThrow(/answer head is over/)
    expect(() => read(`${OK_HEAD}${'x-a: 1\r\n'.repeat(300)}\r\n`)).toThrow(/header fields/)
  })

  it('refuses an answer cut short by the connection closing, in every framing', () => {
    expect(() => read(`${OK_HEAD}content-length: 5\r\n\r\nabc`, [], true)).toThrow(
      /before the answer was complete/
    )
    expect(() => read(`${OK_HEAD}transfer-encoding: chunked\r\n\r\n5\r\nabc`, [], true)).toThrow(
      /before the answer/
    )
    expect(() => read('HTTP/1.1 200 OK\r\ncontent-le', [], true)).toThrow(/before the answer/)
    // A body read until close is complete when the connection closes.
    expect(read(`${OK_HEAD}\r\nabc`, [], true).done).toBe(true)
  })
})
