/**
 * @module Streaming mode (`Accept: application/x-ndjson` or `text/event-stream`): output chunks as
 * events while the command runs, then one `exit` event (the HTTP status is sent before the exit
 * code is known). Backpressure pauses the child's pipes, so memory stays flat.
 */

import { type EncodedContent, encodeContent } from './encodings.ts'
import { type EventBody, eventBody } from './event-body.ts'
import type { OutputSpec } from './request.ts'
import type { RunningCommand, StreamName } from './run-command.ts'

export type StreamFormat = 'ndjson' | 'sse'

export const STREAM_CONTENT_TYPES: Record<StreamFormat, string> = {
  ndjson: 'application/x-ndjson',
  sse: 'text/event-stream',
}

/** The streaming format the Accept header asks for, or undefined for the buffered reply. */
export function streamFormat(accept: string | undefined): StreamFormat | undefined {
  // `q=0` means "not acceptable" (RFC 9110 §12.4.2): such an entry never selects streaming.
  const types = (accept ?? '')
    .split(',')
    .filter((part) => !/;\s*q\s*=\s*0(\.0{0,3})?\s*(;|$)/i.test(part))
    .map((part) => part.split(';')[0]?.trim().toLowerCase())
  for (const type of types) {
    if (type === STREAM_CONTENT_TYPES.ndjson) return 'ndjson'
    if (type === STREAM_CONTENT_TYPES.sse) return 'sse'
  }
  return undefined
}

/** Bytes at the end of `bytes` that start an incomplete UTF-8 sequence (0 to 3). */
export function incompleteUtf8Tail(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0
    if ((byte & 0xc0) === 0x80) continue
    const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
    return need > back ? back : 0
  }
  return 0
}

/** The largest reused line buffer a stream keeps (longer lines get one of their own). */
const MAX_SCRATCH_BYTES = 1024 * 1024

export class EventStream {
  readonly body: ReadableStream<Uint8Array>
  readonly #format: StreamFormat
  readonly #specs: Readonly<Record<StreamName, OutputSpec>>
  readonly #carry: Record<StreamName, Buffer> = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) }
  readonly #encoder = new TextEncoder()
  readonly #out: EventBody
  /** Where lines are built when the body copies them (one buffer for the whole stream). */
  #scratch = Buffer.alloc(0)
  #run: RunningCommand | undefined
  #closed = false
  /** The client went away before the exit event. */
  cancelled = false

  constructor(format: StreamFormat, specs: Readonly<Record<StreamName, OutputSpec>>) {
    this.#format = format
    this.#specs = specs
    this.#out = eventBody({
      pause: () => this.#run?.pause(),
      resume: () => this.#run?.resume(),
      cancel: () => {
        this.cancelled = true
        this.#closed = true
        this.#run?.abandon()
      },
    })
    this.body = this.#out.stream
  }

  attach(run: RunningCommand): void {
    this.#run = run
  }

  /** Receives output from runCommand. */
  readonly onChunk = (name: StreamName, chunk: Buffer): void => {
    const spec = this.#specs[name]
    let bytes = chunk
    if (spec.encode === null) {
      // Never split a UTF-8 character across two events: keep its first bytes for the next chunk.
      const joined = Buffer.concat([this.#carry[name], chunk])
      const tail = incompleteUtf8Tail(joined)
      this.#carry[name] = Buffer.from(joined.subarray(joined.length - tail))
      bytes = joined.subarray(0, joined.length - tail)
    }
    if (bytes.byteLength > 0) this.#emit(name, encodeContent(bytes, spec.encode))
  }

  /** Sends what is left of a split character and the exit event, then ends the body. */
  finish(exit: Record<string, unknown>): void {
    for (const name of ['stdout', 'stderr'] as const) {
      const rest = this.#carry[name]
      if (rest.byteLength > 0) this.#emit(name, encodeContent(rest, this.#specs[name].encode))
    }
    this.#send('exit', exit)
    this.#close()
  }

  /** Ends the body with an `error` event when the run failed after the status was sent. */
  fail(): void {
    this.#send('error', { code: 'FG_ERR_INTERNAL' })
    this.#close()
  }

  #close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#out.close()
  }

  #emit(name: StreamName, content: EncodedContent): void {
    if (content.encode === 'base64') this.#sendBase64(name, content.content)
    else this.#send(name, { content: content.content, encode: content.encode })
  }

  /**
   * A buffer for one line: the reused one when the body copies (up to 1 MiB, so an idle stream
   * holds little after a burst), else a line of its own.
   */
  #lineBuffer(size: number): Buffer {
    if (!this.#out.copies || size > MAX_SCRATCH_BYTES) return Buffer.allocUnsafe(size)
    if (this.#scratch.byteLength < size)
      this.#scratch = Buffer.allocUnsafe(
        Math.min(MAX_SCRATCH_BYTES, Math.max(size, 2 * this.#scratch.byteLength))
      )
    return this.#scratch
  }

  /**
   * An event whose content is base64 (nothing to escape in JSON) written into its line's bytes
   * directly: for a long stream of chunks this is half the garbage of stringifying and encoding
   * each line (Bun, which collects late, grew with it).
   */
  #sendBase64(event: StreamName, content: string): void {
    if (this.#closed) return
    const head =
      this.#format === 'ndjson' ? `{"event":"${event}","content":"` : `event: ${event}\ndata: {"content":"`
    const tail = this.#format === 'ndjson' ? '","encode":"base64"}\n' : '","encode":"base64"}\n\n'
    const length = head.length + content.length + tail.length
    const line = this.#lineBuffer(length)
    line.write(head, 0, 'latin1')
    line.write(content, head.length, 'latin1')
    line.write(tail, head.length + content.length, 'latin1')
    this.#out.write(line.subarray(0, length))
  }

  #send(event: string, data: Record<string, unknown>): void {
    if (this.#closed) return
    const line =
      this.#format === 'ndjson'
        ? `${JSON.stringify({ event, ...data })}\n`
        : `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
    if (!this.#out.copies) {
      this.#out.write(this.#encoder.encode(line))
      return
    }
    // UTF-8 takes at most three bytes for each UTF-16 unit.
    const buffer = this.#lineBuffer(line.length * 3)
    const { written } = this.#encoder.encodeInto(line, buffer)
    this.#out.write(buffer.subarray(0, written))
  }
}
