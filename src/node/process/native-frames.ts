/**
 * @module The binary framing between flowgate and the native spawn helper (native/spawn-helper.c),
 * kept in sync with the comment at the top of that file:
 *   frame  = u32 length | u8 type | u32 id | payload   (little endian; length counts type + id + payload)
 *   string = u32 length | bytes
 * Requests: 1 run, 2 pause, 3 resume, 4 discard (id = run id), 5 watch, 6 unwatch (id = pid).
 * Events: 1 spawn (u32 pid), 2 error (string errno name, string message), 3 data (u8 stream, bytes),
 * 4 close (i32 code, -1 when signalled; i32 signal number), 5 fault (string message),
 * 6 text (u8 stream, u32 bytes read, the bytes up to the cap escaped as the inside of a JSON string).
 */
import { constants } from 'node:os'
import type { HelperControl, HelperEvent } from './helper-events.ts'
import type { SpawnRequest, StreamName } from './spawner.ts'

export type { HelperEvent }

export const REQUEST = {
  run: 1,
  pause: 2,
  resume: 3,
  discard: 4,
  watch: 5,
  unwatch: 6,
} as const satisfies Record<'run' | HelperControl, number>
export type ControlRequest = HelperControl

/** The helper skips request frames past this size; flowgate refuses them before sending. */
export const MAX_REQUEST_FRAME = 256 * 1024 * 1024

/** flowgate's own ids, sent when a run has none of its own (asked once: a system call each). */
const OWN_UID = process.getuid?.() ?? 0
const OWN_GID = process.getgid?.() ?? 0

const FLAG = { stdout: 1, stderr: 2, stdin: 4, max: 8, ids: 16, stdoutText: 32, stderrText: 64 } as const

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals])
)

/**
 * `text`: streams the helper sends as JSON string text (text events) rather than raw (data events).
 * Throws RangeError for a request the helper would refuse (too large).
 */
export function encodeRun(
  id: number,
  request: SpawnRequest,
  text: Readonly<Record<StreamName, boolean>>
): Buffer {
  // Written in place: no Buffer per string (each is an object to collect, and costly on Bun).
  const strings = [
    request.file,
    request.argv0,
    request.cwd,
    ...request.args,
    ...Object.entries(request.env).map(([name, value]) => `${name}=${value}`),
  ]
  const lengths = strings.map((text) => Buffer.byteLength(text, 'utf8'))
  const stdin = request.stdin ?? new Uint8Array(0)
  const size = 9 + 17 + lengths.reduce((sum, length) => sum + 4 + length, 0) + 8 + 4 + stdin.byteLength
  if (size > MAX_REQUEST_FRAME) throw new RangeError('spawn request too large for the native helper')
  const frame = Buffer.allocUnsafe(size)
  let at = header(frame, size, REQUEST.run, id)
  const max = request.maxOutputBytes
  const ids = request.uid !== undefined || request.gid !== undefined
  frame[at++] =
    (request.capture.stdout ? FLAG.stdout : 0) |
    (request.capture.stderr ? FLAG.stderr : 0) |
    (request.stdin ? FLAG.stdin : 0) |
    (max !== undefined ? FLAG.max : 0) |
    (ids ? FLAG.ids : 0) |
    (text.stdout ? FLAG.stdoutText : 0) |
    (text.stderr ? FLAG.stderrText : 0)
  frame.writeBigUInt64LE(BigInt(max ?? 0), at)
  // Unset uid or gid: keep flowgate's own, as libuv does.
  frame.writeUInt32LE(request.uid ?? OWN_UID, at + 8)
  frame.writeUInt32LE(request.gid ?? OWN_GID, at + 12)
  at += 16
  const putStrings = (from: number, to: number) => {
    for (let index = from; index < to; index++) {
      const length = lengths[index] ?? 0
      frame.writeUInt32LE(length, at)
      frame.write(strings[index] ?? '', at + 4, length, 'utf8')
      at += 4 + length
    }
  }
  const argsEnd = 3 + request.args.length
  putStrings(0, 3)
  frame.writeUInt32LE(request.args.length, at)
  at += 4
  putStrings(3, argsEnd)
  frame.writeUInt32LE(strings.length - argsEnd, at)
  at += 4
  putStrings(argsEnd, strings.length)
  frame.writeUInt32LE(stdin.byteLength, at)
  frame.set(stdin, at + 4)
  return frame
}

export function encodeControl(type: ControlRequest, id: number): Buffer {
  const frame = Buffer.allocUnsafe(9)
  header(frame, 9, REQUEST[type], id)
  return frame
}

function header(frame: Buffer, size: number, type: number, id: number): number {
  frame.writeUInt32LE(size - 4, 0)
  frame[4] = type
  frame.writeUInt32LE(id, 5)
  return 9
}

/** Header bytes (length, type, id and the fixed fields) before a data or text frame's output. */
const OUTPUT_HEADER: Readonly<Record<number, number>> = { 3: 10, 6: 14 }

const EMPTY = Buffer.alloc(0)

/** The bytes of the frame starting at `at` gathered before decoding: all of it, or an output frame's header. */
function headWanted(bytes: Buffer, at: number): number {
  const whole = 4 + bytes.readUInt32LE(at)
  return Math.min(OUTPUT_HEADER[bytes[at + 4] ?? 0] ?? whole, whole)
}

/**
 * Splits the helper's stdout into events. Output frames are passed on in pieces as they arrive,
 * views of Node's read buffers, never reassembled: a 1 MiB run then costs no extra copy or garbage.
 * A text frame's `bytesRead` and `frameLength` (its escaped bytes in all pieces) come with its
 * first piece; later pieces carry 0.
 */
export class EventParser {
  private head = EMPTY
  private output: { event: HelperEvent & { type: 'data' | 'text' }; remaining: number } | undefined
  private readonly emit: (event: HelperEvent) => void
  constructor(emit: (event: HelperEvent) => void) {
    this.emit = emit
  }

  push(chunk: Buffer): void {
    let at = 0
    while (at < chunk.byteLength) {
      if (this.output) {
        const { event } = this.output
        const piece = chunk.subarray(at, at + this.output.remaining)
        at += piece.byteLength
        this.output.remaining -= piece.byteLength
        if (this.output.remaining === 0) this.output = undefined
        if (event.type === 'data') this.emit({ ...event, chunk: piece })
        else this.emit({ ...event, escaped: piece })
        if (event.type === 'text') {
          event.bytesRead = 0
          event.frameLength = 0
        }
        continue
      }
      let frame: Buffer
      let length: number
      let want = this.head.byteLength === 0 && at + 5 <= chunk.byteLength ? headWanted(chunk, at) : 0
      if (want > 0 && at + want <= chunk.byteLength) {
        // The usual case: the small frame (or output frame header) is whole in this chunk, and is
        // read where it lies.
        length = chunk.readUInt32LE(at)
        frame = chunk.subarray(at + 4, at + want)
        at += want
      } else {
        // Split across chunks: gathered by copying, a few bytes at a time.
        const known = this.head.byteLength >= 5
        length = known ? this.head.readUInt32LE(0) : 0
        want = known ? headWanted(this.head, 0) : 5
        const take = chunk.subarray(at, at + want - this.head.byteLength)
        at += take.byteLength
        this.head = Buffer.concat([this.head, take])
        if (!known || this.head.byteLength < want) continue
        frame = this.head.subarray(4)
        this.head = EMPTY
      }
      const event = decode(frame)
      const remaining = 4 + length - want
      if (event.type === 'text') event.frameLength = remaining
      if ((event.type === 'data' || event.type === 'text') && remaining > 0) {
        this.output = { event, remaining }
        continue
      }
      this.emit(event)
    }
  }
}

function decode(frame: Buffer): HelperEvent {
  const type = frame[0]
  const id = frame.readUInt32LE(1)
  const body = frame.subarray(5)
  const string = (at: number) => {
    const length = body.readUInt32LE(at)
    return { text: body.toString('utf8', at + 4, at + 4 + length), next: at + 4 + length }
  }
  if (type === 1) return { type: 'spawn', id, pid: body.readUInt32LE(0) }
  if (type === 2) {
    const code = string(0)
    return { type: 'error', id, code: code.text, message: string(code.next).text }
  }
  if (type === 3)
    return { type: 'data', id, stream: body[0] === 2 ? 'stderr' : 'stdout', chunk: body.subarray(1) }
  if (type === 4) {
    const code = body.readInt32LE(0)
    const signal = body.readInt32LE(4)
    // Signal names, as Node reports them: one event shape for both helpers (helper-events.ts).
    return {
      type: 'close',
      id,
      code: signal ? null : code,
      signal: signal ? (SIGNAL_NAMES.get(signal) ?? null) : null,
    }
  }
  if (type === 6) {
    const stream = body[0] === 2 ? 'stderr' : 'stdout'
    const escaped = body.subarray(5)
    return {
      type: 'text',
      id,
      stream,
      bytesRead: body.readUInt32LE(1),
      escaped,
      frameLength: escaped.byteLength,
    }
  }
  return { type: 'fault', id, message: type === 5 ? string(0).text : `unknown event type ${type}` }
}
