/**
 * @module The body a streaming run's events go out through. Two kinds, one contract: lines go in
 * as they are made, the run is paused while the reader is behind and resumed when it catches up.
 * - A queued body: a standard ReadableStream that keeps each line until it is read (every
 *   runtime).
 * - A direct body (Bun's `type: "direct"` stream): each line is copied into the response's own
 *   buffer as it is written, so the stream can build every line in one reused buffer. Bun frees
 *   memory late, and a long stream of fresh line buffers grew its RSS by tens of MB.
 *   It also asks Bun's collector to run after every few MB sent (it blocks: see COLLECT_SPACING): what
 *   the child's pipes are read into is garbage Bun otherwise collects tens of MB late.
 *   Together they keep a 1 GiB stream's RSS growth under the streaming goal, which neither does
 *   alone (docs/PERFORMANCE.md).
 */

/** What a body tells the run behind it. */
export interface BodyFlow {
  pause(): void
  resume(): void
  /** The reader went away. */
  cancel(): void
}

export interface EventBody {
  readonly stream: ReadableStream<Uint8Array>
  /** The body copies what it is given, so a line may be built in a buffer that is reused. */
  readonly copies: boolean
  write(line: Uint8Array): void
  close(): void
}

/** Bytes a body holds before it pauses the run. */
const HIGH_WATER_BYTES = 256 * 1024

/** Bytes sent through direct bodies (all streams together) between two collections asked for. */
const COLLECT_EVERY_BYTES = 2 * 1024 * 1024
/**
 * Time between collections, as a multiple of the last one's: a collection blocks (about 0.1 ms
 * for flowgate's own heap, ~10 ms with 125 MiB of live objects), so it takes at most a tenth of
 * the time whatever the heap.
 */
const COLLECT_SPACING = 9
let sentSinceCollect = 0
let nextCollectAt = 0

interface BunGlobal {
  gc(sync: boolean): void
}

function countSent(bytes: number): void {
  sentSinceCollect += bytes
  if (sentSinceCollect < COLLECT_EVERY_BYTES) return
  const started = performance.now()
  if (started < nextCollectAt) return
  sentSinceCollect = 0
  ;(globalThis as { Bun?: BunGlobal }).Bun?.gc(false)
  const ended = performance.now()
  nextCollectAt = ended + (ended - started) * COLLECT_SPACING
}

/** A direct body where the runtime has one (Bun), else a queued body. */
export function eventBody(flow: BodyFlow): EventBody {
  return 'Bun' in globalThis ? new DirectBody(flow) : new QueuedBody(flow)
}

export class QueuedBody implements EventBody {
  readonly stream: ReadableStream<Uint8Array>
  readonly copies = false
  #controller: ReadableStreamDefaultController<Uint8Array> | undefined
  readonly #flow: BodyFlow
  #closed = false

  constructor(flow: BodyFlow) {
    this.#flow = flow
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller
        },
        pull: () => flow.resume(),
        cancel: () => {
          this.#closed = true
          flow.cancel()
        },
      },
      { highWaterMark: HIGH_WATER_BYTES, size: (chunk) => chunk.byteLength }
    )
  }

  write(line: Uint8Array): void {
    if (this.#closed || !this.#controller) return
    this.#controller.enqueue(line)
    if ((this.#controller.desiredSize ?? 1) <= 0) this.#flow.pause()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#controller?.close()
  }
}

/** The part of Bun's direct stream controller used here. */
interface DirectSink {
  write(chunk: Uint8Array): unknown
  flush(): unknown
  close(): unknown
}

export class DirectBody implements EventBody {
  readonly stream: ReadableStream<Uint8Array>
  readonly copies = true
  readonly #flow: BodyFlow
  #sink: DirectSink | undefined
  /** Lines written before the runtime asked for the body (copies). */
  #early: Uint8Array[] = []
  #earlyBytes = 0
  /** Writes waiting for the socket (the run is paused until none is). */
  #waiting = 0
  #closed = false
  #done: (() => void) | undefined

  constructor(flow: BodyFlow) {
    this.#flow = flow
    const source = {
      type: 'direct',
      pull: (sink: DirectSink): Promise<void> | undefined => {
        this.#sink = sink
        const early = this.#early
        this.#early = []
        for (const line of early) this.#send(line)
        if (this.#closed) {
          this.#end()
          return undefined
        }
        // Paused while the early lines piled up: go on, unless sending them filled the socket.
        if (this.#earlyBytes >= HIGH_WATER_BYTES && this.#waiting === 0) flow.resume()
        this.#earlyBytes = 0
        return new Promise<void>((resolve) => {
          this.#done = resolve
        })
      },
      cancel: () => this.#cancel(),
    }
    // The type checker knows only the standard sources; Bun takes this one as its own kind.
    this.stream = new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>)
  }

  write(line: Uint8Array): void {
    if (this.#closed) return
    if (this.#sink) {
      this.#send(line)
      return
    }
    // A copy: the line may be built in a reused buffer (and Buffer#slice would not copy).
    this.#early.push(new Uint8Array(line))
    this.#earlyBytes += line.byteLength
    if (this.#earlyBytes >= HIGH_WATER_BYTES) this.#flow.pause()
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#sink) this.#end()
  }

  #send(line: Uint8Array): void {
    const sink = this.#sink
    if (!sink) return
    try {
      const written = sink.write(line)
      countSent(line.byteLength)
      const flushed = sink.flush()
      // A promise (from either) means the socket is full: the run waits until it has the bytes.
      for (const full of [written, flushed]) {
        if (!(full instanceof Promise)) continue
        this.#waiting++
        this.#flow.pause()
        full.then(
          () => {
            if (--this.#waiting === 0 && !this.#closed) this.#flow.resume()
          },
          () => {
            this.#waiting--
            this.#cancel()
          }
        )
      }
    } catch {
      this.#cancel()
    }
  }

  #end(): void {
    try {
      this.#sink?.close()
    } catch {
      // The reader is gone already.
    }
    this.#done?.()
  }

  #cancel(): void {
    const wasOpen = !this.#closed
    this.#closed = true
    this.#sink = undefined
    this.#done?.()
    if (wasOpen) this.#flow.cancel()
  }
}
