/**
 * @module An incremental reader of one HTTP/1.1 answer, for the Bun entry's engine client
 * (bun-engine-pool.ts): bytes go in as the socket gives them; the head (status, headers, whether
 * the connection may be kept) and the body's pieces come out. Framing as RFC 9112 §6.3 has it for
 * an answer to a GET: none for 204 and 304, informational (1xx) heads skipped, chunked (chunk
 * extensions and trailers read and dropped), Content-Length, or everything until the connection
 * closes. Strict where leniency lets answers be read two ways: lines end with CRLF, no folded
 * headers, one Content-Length value, Transfer-Encoding only `chunked`. Anything malformed or over
 * a limit throws, and the connection must not be used again.
 */

export interface AnswerHead {
  status: number
  /** Lower-case names; a field sent more than once has its values joined with `, `. */
  headers: Record<string, string>
  /** Whether the connection may carry another request once this answer is read whole. */
  keepAlive: boolean
}

export interface AnswerEvents {
  head(head: AnswerHead): void
  /** A piece of the body: a view of the bytes pushed (not copied). */
  body(bytes: Uint8Array): void
  /** The answer is complete. */
  done(): void
}

/** The longest head (status line and headers) read; a longer one is refused. */
export const MAX_HEAD_BYTES = 64 * 1024
/** The most header fields in one head. */
const MAX_FIELDS = 256
/** The longest chunk-size line (with extensions) and trailer section. */
const MAX_CHUNK_LINE = 4 * 1024
const MAX_TRAILERS = 16 * 1024

/** Status line, header field and chunk-size line; `hasControl` refuses control bytes in them first. */
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: .*)?$/
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/
const CHUNK_SIZE = /^([0-9A-Fa-f]{1,12})[ \t]*(?:;.*)?$/
const CRLF_CRLF = Buffer.from('\r\n\r\n')

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'close' | 'done'

/** A malformed or oversized answer. */
export class AnswerError extends Error {
  override name = 'AnswerError'
}

export class AnswerReader {
  private state: State = 'head'
  /** Head bytes kept until the head is whole. */
  private held: Buffer | undefined
  /** Body bytes still to come (Content-Length, or the current chunk). */
  private remaining = 0
  /** The chunk-size line or trailer section read so far. */
  private line = ''
  private trailerBytes = 0

  private readonly events: AnswerEvents

  constructor(events: AnswerEvents) {
    this.events = events
  }

  /** Whether the answer has been read whole. */
  get complete(): boolean {
    return this.state === 'done'
  }

  /**
   * Reads what the socket gave; returns how many bytes belonged to the answer (fewer than given
   * only once it is complete: the rest is data nobody asked for). Throws an AnswerError.
   */
  push(chunk: Uint8Array): number {
    let at = 0
    while (at < chunk.byteLength && this.state !== 'done') {
      at = this.step(chunk, at)
    }
    return at
  }

  /** The connection ended: completes a body read until close; throws if the answer is cut short. */
  end(): void {
    if (this.state === 'close') {
      this.state = 'done'
      this.events.done()
      return
    }
    if (this.state !== 'done')
      throw new AnswerError('the engine closed the connection before the answer was complete')
  }

  private step(chunk: Uint8Array, at: number): number {
    switch (this.state) {
      case 'head':
        return this.readHead(chunk, at)
      case 'length':
      case 'chunk-data': {
        const n = Math.min(this.remaining, chunk.byteLength - at)
        this.remaining -= n
        this.events.body(chunk.subarray(at, at + n))
        if (this.remaining === 0) {
          if (this.state === 'length') this.finish()
          else {
            this.state = 'chunk-end'
            this.line = ''
          }
        }
        return at + n
      }
      case 'close':
        this.events.body(chunk.subarray(at))
        return chunk.byteLength
      case 'chunk-end':
      case 'chunk-size':
      case 'trailers':
        return this.readLine(chunk, at)
      default:
        return chunk.byteLength
    }
  }

  private readHead(chunk: Uint8Array, at: number): number {
    const piece = Buffer.from(chunk.buffer, chunk.byteOffset + at, chunk.byteLength - at)
    const held = this.held ? Buffer.concat([this.held, piece]) : piece
    const searchFrom = this.held ? Math.max(0, this.held.byteLength - 3) : 0
    const end = held.indexOf(CRLF_CRLF, searchFrom)
    if (end === -1 || end > MAX_HEAD_BYTES) {
      if (held.byteLength > MAX_HEAD_BYTES)
        throw new AnswerError(`the engine's answer head is over ${MAX_HEAD_BYTES} bytes`)
      // Kept as a copy: the socket's bytes are not ours to hold past this call.
      this.held = this.held ? held : Buffer.from(piece)
      return chunk.byteLength
    }
    const usedHere = end + 4 - (this.held?.byteLength ?? 0)
    this.held = undefined
    this.startAnswer(held.toString('latin1', 0, end))
    return at + usedHere
  }

  private startAnswer(text: string): void {
    if (hasControl(text)) throw new AnswerError('the engine sent a control character in its answer head')
    const lines = text.split('\r\n')
    const statusLine = STATUS_LINE.exec(lines[0] ?? '')
    if (!statusLine) throw new AnswerError('the engine sent a malformed status line')
    if (lines.length - 1 > MAX_FIELDS)
      throw new AnswerError(`the engine sent over ${MAX_FIELDS} header fields`)
    const minor = statusLine[1]
    const status = Number(statusLine[2])
    // No prototype: a field named __proto__ or constructor is a field like any other.
    const headers: Record<string, string> = Object.create(null)
    for (let i = 1; i < lines.length; i++) {
      const field = FIELD.exec(lines[i] as string)
      if (!field) throw new AnswerError('the engine sent a malformed header field')
      const name = (field[1] as string).toLowerCase()
      const value = field[2] as string
      const existing = headers[name]
      headers[name] = existing === undefined ? value : `${existing}, ${value}`
    }
    if (status < 200) {
      // An informational answer (100 Continue, 103 Early Hints) precedes the real one; a protocol
      // switch was never asked for.
      if (status === 101) throw new AnswerError('the engine switched protocols unasked')
      return
    }
    const connection = (headers.connection ?? '')
      .toLowerCase()
      .split(',')
      .map((token) => token.trim())
    let keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive')
    const coding = headers['transfer-encoding']
    const length = headers['content-length']
    let next: State
    if (status === 204 || status === 304) next = 'done'
    else if (coding !== undefined) {
      if (coding.trim().toLowerCase() !== 'chunked') {
        throw new AnswerError(`the engine sent a transfer coding other than chunked: ${coding}`)
      }
      // Both framings at once is how requests get smuggled: chunked wins, the connection ends;
      // so it does for chunking in HTTP/1.0, which has none (RFC 9112 §6.1).
      if (length !== undefined || minor === '0') keepAlive = false
      next = 'chunk-size'
    } else if (length !== undefined) {
      if (!/^\d{1,15}$/.test(length)) throw new AnswerError('the engine sent an invalid Content-Length')
      this.remaining = Number(length)
      next = this.remaining === 0 ? 'done' : 'length'
    } else {
      keepAlive = false
      next = 'close'
    }
    this.events.head({ status, headers, keepAlive })
    if (next === 'done') this.finish()
    else this.state = next
  }

  /** Reads a CRLF-ended line (chunk size, the CRLF after a chunk, a trailer). */
  private readLine(chunk: Uint8Array, at: number): number {
    const newline = chunk.indexOf(10, at)
    const stop = newline === -1 ? chunk.byteLength : newline + 1
    this.line += Buffer.from(chunk.buffer, chunk.byteOffset + at, stop - at).toString('latin1')
    const limit = this.state === 'trailers' ? MAX_TRAILERS - this.trailerBytes : MAX_CHUNK_LINE
    if (this.line.length > limit) throw new AnswerError('the engine sent an over-long chunk line or trailer')
    if (newline === -1) return stop
    const line = this.line
    this.line = ''
    if (!line.endsWith('\r\n')) throw new AnswerError('the engine ended a line without CRLF')
    const content = line.slice(0, -2)
    if (hasControl(content)) throw new AnswerError('the engine sent a control character in a chunk line')
    if (this.state === 'chunk-end') {
      if (content !== '') throw new AnswerError('the engine sent more bytes in a chunk than its size')
      this.state = 'chunk-size'
    } else if (this.state === 'chunk-size') {
      const size = CHUNK_SIZE.exec(content)
      if (!size) throw new AnswerError('the engine sent a malformed chunk size')
      this.remaining = Number.parseInt(size[1] as string, 16)
      if (this.remaining === 0) {
        this.state = 'trailers'
        this.trailerBytes = 0
      } else this.state = 'chunk-data'
    } else if (content === '') this.finish()
    else {
      this.trailerBytes += line.length
      if (!FIELD.test(content)) throw new AnswerError('the engine sent a malformed trailer field')
    }
    return stop
  }

  private finish(): void {
    this.state = 'done'
    this.events.done()
  }
}

/** A control byte other than tab (CR and LF included: in a head they may only end its lines). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if ((code < 0x20 && code !== 0x09 && code !== 0x0d && code !== 0x0a) || code === 0x7f) return true
  }
  return false
}
