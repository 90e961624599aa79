/**
 * @module One call of the Bun engine pool (bun-engine-pool.ts): its request head, its state, and
 * how its answer is read — whole (no body for 204/304, a known length up to `readWhole`) or as a
 * stream that pauses the socket while the reader is behind — and settled once, with the answer or
 * an error. The pool decides which socket carries it and what becomes of the socket afterwards.
 */
import { type AnswerHead, AnswerReader } from './http1-response-reader.ts'

export interface EngineAnswer {
  status: number
  headers: Record<string, string>
  /** The whole body (announced length up to `readWhole`, or none), or a stream of it. */
  body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>
}

/** A call; `C` is the pool's connection. */
export interface EngineCall<C> {
  /** The request head, ready to write. */
  request: string
  /** The connection it is on, once it has one. */
  connection: C | undefined
  /** What is left to write once the socket drains. */
  unwritten: Uint8Array | undefined
  reader: AnswerReader | undefined
  /** Whether any answer byte arrived. */
  answered: boolean
  retried: boolean
  timer: ReturnType<typeof setTimeout> | undefined
  signal: AbortSignal | undefined
  onAbort: () => void
  resolve(answer: EngineAnswer): void
  reject(error: unknown): void
  settled: boolean
  /** The body being streamed, once the head said so. */
  stream: ReadableStreamDefaultController<Uint8Array> | undefined
  /** The body being read whole. */
  whole: { bytes: Uint8Array<ArrayBuffer>; filled: number } | undefined
  head: AnswerHead | undefined
  keepAlive: boolean
  /** Set when the answer is over (read, failed or abandoned). */
  over: boolean
}

/** Bytes that would end or split a line of the request head. */
const UNSAFE = /[\r\n\0]/

/** `GET target` with a Host and `headers`; a line break or NUL anywhere throws, as fetch does. */
export function requestHead(target: string, host: string, headers: Record<string, string>): string {
  if (UNSAFE.test(target)) throw new TypeError('invalid request target')
  let head = `GET ${target} HTTP/1.1\r\nhost: ${host}\r\n`
  for (const name in headers) {
    const value = headers[name] as string
    // The runtime's own parser lets no line break into a header; checked again all the same.
    if (UNSAFE.test(value) || UNSAFE.test(name)) throw new TypeError(`invalid header ${name}`)
    head += `${name}: ${value}\r\n`
  }
  return `${head}\r\n`
}

export function newCall<C>(
  request: string,
  signal: AbortSignal | undefined,
  settle: { resolve(answer: EngineAnswer): void; reject(error: unknown): void }
): EngineCall<C> {
  return {
    request,
    connection: undefined,
    unwritten: undefined,
    reader: undefined,
    answered: false,
    retried: false,
    timer: undefined,
    signal,
    onAbort: () => {},
    resolve: settle.resolve,
    reject: settle.reject,
    settled: false,
    stream: undefined,
    whole: undefined,
    head: undefined,
    keepAlive: false,
    over: false,
  }
}

/** What the reader of a call's answer asks of the socket that carries it. */
export interface CallSocket {
  pause(): void
  resume(): void
  /** The answer is read to its end; `reuse` says whether the socket may carry another call. */
  done(reuse: boolean): void
  /** The stream's reader went away before the answer's end: the socket cannot be reused. */
  abandoned(): void
}

/** The reader of a call's answer: fills the call's body and settles it. */
export function answerReader<C>(call: EngineCall<C>, readWhole: number, socket: CallSocket): AnswerReader {
  return new AnswerReader({
    head(head) {
      call.head = head
      call.keepAlive = head.keepAlive
      const length = head.headers['content-length']
      const known =
        length !== undefined && head.headers['transfer-encoding'] === undefined ? Number(length) : undefined
      if (head.status === 204 || head.status === 304) {
        // No body, whatever length it names (a 304 may give the representation's).
        call.whole = { bytes: new Uint8Array(0), filled: 0 }
        return
      }
      if (known !== undefined && known <= readWhole) {
        call.whole = { bytes: new Uint8Array(known), filled: 0 }
        return
      }
      const body = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            call.stream = controller
          },
          pull() {
            socket.resume()
          },
          cancel() {
            // After the answer's end the socket may already carry another call (the chunks were
            // only still queued here): nothing to do then.
            if (call.over) return
            finishCall(call)
            socket.abandoned()
          },
        },
        { highWaterMark: 64 * 1024, size: (chunk) => chunk?.byteLength ?? 0 }
      )
      settle(call, { status: head.status, headers: head.headers, body })
    },
    body(bytes) {
      if (call.whole) {
        call.whole.bytes.set(bytes, call.whole.filled)
        call.whole.filled += bytes.byteLength
      } else if (call.stream) {
        // A copy: the socket's bytes may not outlive this call on every Bun version.
        call.stream.enqueue(bytes.slice())
        if ((call.stream.desiredSize ?? 0) <= 0) socket.pause()
      }
    },
    done() {
      const head = call.head as AnswerHead
      if (call.whole) settle(call, { status: head.status, headers: head.headers, body: call.whole.bytes })
      else call.stream?.close()
      // Reused only after an answer that allows it, with the whole request written.
      const reuse = call.keepAlive && !call.over && call.unwritten === undefined
      finishCall(call)
      socket.done(reuse)
    },
  })
}

function settle<C>(call: EngineCall<C>, answer: EngineAnswer) {
  if (call.settled) return
  call.settled = true
  call.resolve(answer)
}

/** The answer is over: the deadline and the abort no longer apply. */
export function finishCall<C>(call: EngineCall<C>): void {
  if (call.over) return
  call.over = true
  clearTimeout(call.timer)
  call.signal?.removeEventListener('abort', call.onAbort)
}

/** Fails a call: its promise if still pending, else its body stream. False if it was already over. */
export function failCall<C>(call: EngineCall<C>, error: unknown): boolean {
  if (call.over) return false
  finishCall(call)
  if (!call.settled) {
    call.settled = true
    call.reject(error)
  } else call.stream?.error(error)
  return true
}
