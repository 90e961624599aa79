import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  EventParser,
  encodeControl,
  encodeRun,
  type HelperEvent,
  MAX_REQUEST_FRAME,
} from '../../../../src/node/process/native-frames.ts'
import { NATIVE_HELPER } from '../../../../src/node/process/native-helper.ts'
import type { SpawnRequest } from '../../../../src/node/process/spawner.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, running } from '../exec/fixture-root.ts'

let fixture: FixtureRoot
beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(() => fixture.remove())

/** The helper binary driven over its pipes, with every event it sent. */
function startHelper(): {
  child: ChildProcess
  events: HelperEvent[]
  until(test: () => boolean): Promise<void>
} {
  const child = spawn(NATIVE_HELPER, [], { stdio: ['pipe', 'pipe', 'ignore'] })
  const events: HelperEvent[] = []
  const parser = new EventParser((event) => events.push(event))
  child.stdout?.on('data', (chunk: Buffer) => parser.push(chunk))
  const until = async (test: () => boolean) => {
    for (let i = 0; i < 250 && !test(); i++) await new Promise((resolve) => setTimeout(resolve, 20))
    expect(test()).toBe(true)
  }
  return { child, events, until }
}

const request = (name: string, env: Record<string, string> = {}): SpawnRequest => ({
  file: join(fixture.root, name),
  argv0: name,
  args: [],
  env: { PATH: '/usr/bin:/bin', ...env },
  cwd: fixture.root,
  stdin: undefined,
  capture: { stdout: false, stderr: false },
})
const noText = { stdout: false, stderr: false }

function frame(type: number, id: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9)
  head.writeUInt32LE(5 + payload.byteLength, 0)
  head[4] = type
  head.writeUInt32LE(id, 5)
  return Buffer.concat([head, payload])
}

describe('the native helper protocol', () => {
  it('reports and drops malformed requests, and keeps serving', async () => {
    const helper = startHelper()
    const tooShort = Buffer.from([2, 0, 0, 0, 1, 2])
    const unknownType = frame(99, 1, Buffer.alloc(0))
    const truncatedRun = frame(1, 2, Buffer.from([1, 2, 3]))
    const lying = request('exit42')
    const lyingCounts = encodeRun(3, lying, noText)
    // Claim a huge argument count: it sits after the header, fixed fields, file, argv0 and cwd.
    const strings = [lying.file, lying.argv0, lying.cwd].reduce(
      (sum, text) => sum + 4 + Buffer.byteLength(text),
      0
    )
    lyingCounts.writeUInt32LE(0xffff_fff0, 9 + 17 + strings)
    helper.child.stdin?.write(Buffer.concat([tooShort, unknownType, truncatedRun, lyingCounts]))
    helper.child.stdin?.write(encodeRun(4, request('exit42'), noText))
    await helper.until(() => helper.events.some((event) => event.type === 'close' && event.id === 4))
    expect(helper.events.filter((event) => event.type === 'fault').length).toBeGreaterThanOrEqual(4)
    expect(helper.events.filter((event) => event.type === 'error').map((event) => event.id)).toEqual([2, 3])
    expect(helper.events.find((event) => event.type === 'close')).toMatchObject({
      id: 4,
      code: 42,
      signal: null,
    })
    // A frame announced past the limit is skipped unread, not buffered: the helper stays up.
    const huge = Buffer.alloc(4)
    huge.writeUInt32LE(MAX_REQUEST_FRAME + 1, 0)
    helper.child.stdin?.write(huge)
    const faults = helper.events.filter((event) => event.type === 'fault').length
    await helper.until(() => helper.events.filter((event) => event.type === 'fault').length > faults)
    expect(helper.child.exitCode).toBe(null)
    const exited = new Promise((resolve) => helper.child.once('exit', resolve))
    helper.child.stdin?.end()
    expect(await exited).toBe(0)
  })

  it('kills every group it started when its input ends (flowgate gone)', async () => {
    const helper = startHelper()
    const file = join(fixture.base, 'protocol-pids')
    helper.child.stdin?.write(encodeRun(1, request('spawner', { PIDFILE: file }), noText))
    await helper.until(() => {
      try {
        return readFileSync(file, 'utf8').includes(' ')
      } catch {
        return false
      }
    })
    const [leader, grandchild] = readFileSync(file, 'utf8').trim().split(' ').map(Number)
    helper.child.stdin?.end()
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('kills the groups it was asked to watch when its input ends, but not those unwatched', async () => {
    const helper = startHelper()
    const start = () => spawn(join(fixture.root, 'sleeper'), [], { detached: true, stdio: 'ignore' }).pid ?? 0
    const [watched, unwatched] = [start(), start()]
    helper.child.stdin?.write(encodeControl('watch', watched))
    helper.child.stdin?.write(encodeControl('watch', unwatched))
    helper.child.stdin?.write(encodeControl('unwatch', unwatched))
    helper.child.stdin?.end()
    expect(await groupEnded(watched)).toBe(true)
    expect(running(unwatched)).toBe(true)
    process.kill(-unwatched, 'SIGKILL')
  })

  it('ignores SIGTERM and SIGINT (flowgate decides when runs end)', async () => {
    const helper = startHelper()
    // One run first: the signals must come once the helper has set up, not while it execs.
    helper.child.stdin?.write(encodeRun(1, request('exit42'), noText))
    await helper.until(() => helper.events.some((event) => event.type === 'close'))
    helper.child.kill('SIGTERM')
    helper.child.kill('SIGINT')
    helper.child.stdin?.write(encodeRun(2, request('exit42'), noText))
    await helper.until(() => helper.events.some((event) => event.type === 'close' && event.id === 2))
    expect(helper.child.exitCode).toBe(null)
    helper.child.stdin?.end()
  })
})

describe('the event parser', () => {
  const stringOf = (text: string) => {
    const bytes = Buffer.from(text)
    const length = Buffer.alloc(4)
    length.writeUInt32LE(bytes.byteLength)
    return Buffer.concat([length, bytes])
  }
  const u32 = (value: number) => {
    const bytes = Buffer.alloc(4)
    bytes.writeUInt32LE(value)
    return bytes
  }
  // What the helper sends for two runs: spawn, raw and text output, close, an error and a fault.
  const stream = Buffer.concat([
    frame(1, 7, u32(4242)),
    frame(3, 7, Buffer.concat([Buffer.from([1]), Buffer.from('raw output ✓')])),
    frame(6, 7, Buffer.concat([Buffer.from([2]), u32(9), Buffer.from('esc\\"aped')])),
    frame(3, 7, Buffer.from([2])),
    frame(4, 7, Buffer.concat([u32(3), u32(0)])),
    frame(2, 8, Buffer.concat([stringOf('ENOENT'), stringOf('no such file')])),
    frame(5, 0, stringOf('bad frame')),
    frame(4, 9, Buffer.concat([u32(0xffff_ffff), u32(9)])),
  ])
  /** The events, with the pieces of consecutive output of one run and stream joined as text. */
  const parse = (chunks: Buffer[]) => {
    const seen: Array<{ event: Record<string, unknown>; pieces: Uint8Array[] }> = []
    const parser = new EventParser((event) => {
      type Loose = { chunk?: Uint8Array; escaped?: Buffer } & Record<string, unknown>
      const { chunk, escaped, ...rest }: Loose = event
      const piece = chunk ?? escaped
      const last = seen.at(-1)
      const same = ['type', 'id', 'stream'].every((key) => last?.event[key] === rest[key])
      if (piece && last && same) last.pieces.push(piece)
      else seen.push({ event: rest, pieces: piece ? [piece] : [] })
    })
    for (const chunk of chunks) parser.push(chunk)
    return seen.map(({ event, pieces }) =>
      pieces.length > 0 ? { ...event, bytes: Buffer.concat(pieces).toString() } : event
    )
  }

  it('reads every event whole, split at every byte, and in random pieces alike', () => {
    const whole = parse([stream])
    expect(whole.map((event) => event.type)).toEqual([
      'spawn',
      'data',
      'text',
      'data',
      'close',
      'error',
      'fault',
      'close',
    ])
    expect(whole[0]).toMatchObject({ id: 7, pid: 4242 })
    expect(whole[1]).toMatchObject({ stream: 'stdout', bytes: 'raw output ✓' })
    expect(whole[2]).toMatchObject({ stream: 'stderr', bytes: 'esc\\"aped', bytesRead: 9, frameLength: 9 })
    expect(whole[4]).toMatchObject({ id: 7, code: 3, signal: null })
    expect(whole[5]).toMatchObject({ id: 8, code: 'ENOENT', message: 'no such file' })
    expect(whole[6]).toMatchObject({ message: 'bad frame' })
    expect(whole[7]).toMatchObject({ id: 9, code: null, signal: 'SIGKILL' })
    const bytes = [...stream].map((byte) => Buffer.from([byte]))
    expect(parse(bytes)).toEqual(whole)
    for (let seed = 1; seed <= 50; seed++) {
      const pieces: Buffer[] = []
      for (let at = 0, next = seed; at < stream.byteLength; ) {
        next = (next * 1103515245 + 12345) % 2 ** 31
        const size = 1 + (next % 23)
        pieces.push(stream.subarray(at, at + size))
        at += size
      }
      expect(parse(pieces)).toEqual(whole)
    }
  })
})
