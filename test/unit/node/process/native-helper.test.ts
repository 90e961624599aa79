import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { resultJson } from '../../../../src/node/exec/result-body.ts'
import {
  CLIENT_WATCH_DELAY_MS,
  type RunOptions,
  type RunResult,
  runCommand,
} from '../../../../src/node/exec/run-command.ts'
import { createNativeHelper } from '../../../../src/node/process/native-helper.ts'
import { directSpawner, type Spawner } from '../../../../src/node/process/spawner.ts'
import { createFixtureRoot, type FixtureRoot, groupEnded, readPids, running } from '../exec/fixture-root.ts'

let fixture: FixtureRoot
const native = createNativeHelper()
let pidCount = 0

beforeAll(() => {
  fixture = createFixtureRoot()
})
afterAll(async () => {
  await native.stop()
  fixture.remove()
})

function run(name: string, options: Partial<RunOptions> = {}) {
  return runCommand({
    file: join(fixture.root, name),
    argv0: name,
    args: [],
    env: { PATH: '/usr/bin:/bin' },
    cwd: fixture.root,
    stdin: undefined,
    capture: { stdout: true, stderr: true },
    timeoutMs: 10_000,
    killGraceMs: 200,
    maxOutputBytes: 1024 * 1024,
    spawner: native.spawner,
    ...options,
  })
}

const stdout = (result: RunResult) => Buffer.concat(result.output.stdout).toString()

describe('the native spawn helper', () => {
  it('reports exit codes, and signals as -N with the signal name', async () => {
    expect((await run('exit42').done).returnCode).toBe(42)
    const killed = await run('killself').done
    expect(killed).toMatchObject({ returnCode: -15, signal: 'SIGTERM' })
  })

  it.each([
    ['ENOENT', 'missing'],
    ['EACCES', 'noexec'],
    ['ENOENT', 'badinterp'],
  ])('fails the start with %s for %s, before any spawn', async (code, name) => {
    const started = run(name)
    await expect(started.started).rejects.toMatchObject({ code })
    await expect(started.done).rejects.toMatchObject({ code })
  })

  it('passes stdin bytes, the environment exactly as given and the working directory', async () => {
    const bytes = Buffer.from([0, 255, 10, 34, 92, 1])
    expect(Buffer.concat((await run('echo', { stdin: bytes }).done).output.stdout)).toEqual(bytes)
    const env = { PATH: '/usr/bin:/bin', ONE: 'a b', EMPTY: '', 'WITH=EQUALS': 'x' }
    const [viaNative, viaNode] = await Promise.all([
      run('env', { env }).done,
      run('env', { env, spawner: directSpawner }).done,
    ])
    expect(stdout(viaNative)).toBe(stdout(viaNode))
    expect(stdout(viaNative)).toContain('ONE=a b\n')
    expect(stdout(await run('cwd', { cwd: fixture.outside }).done).trim()).toBe(fixture.outside)
  })

  it('gives a command without stdin bytes /dev/null', async () => {
    expect(stdout(await run('stdinfo').done).trim()).toBe('/dev/null')
  })

  it.each(['timeout', 'abort'])('kills the whole process group on %s', async (how) => {
    const file = join(fixture.base, `native-pids-${++pidCount}`)
    const abort = new AbortController()
    const started = run('spawner', {
      env: { PATH: '/usr/bin:/bin', PIDFILE: file },
      timeoutMs: how === 'timeout' ? 500 : 10_000,
      clientSignal: () => abort.signal,
    })
    const [leader, grandchild] = await readPids(file)
    if (how === 'abort') abort.abort()
    const result = await started.done
    expect(result.returnCode).toBe(-15)
    expect(result.timedOut).toBe(how === 'timeout')
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('never asks for the client signal of a run that ends before the watch starts', async () => {
    let asked = 0
    const instant: Spawner = (_request, events) => {
      queueMicrotask(() => {
        events.onSpawn(0)
        events.onClose(0, null)
      })
      return { pause() {}, resume() {}, discard() {} }
    }
    const quick = run('exit42', {
      spawner: instant,
      clientSignal: () => {
        asked++
        return new AbortController().signal
      },
    })
    expect((await quick.done).returnCode).toBe(0)
    await new Promise((resolve) => setTimeout(resolve, CLIENT_WATCH_DELAY_MS * 2))
    expect(asked).toBe(0)
    expect(quick.clientLeft()).toBe(false)
  })

  it('kills the group of a client that left before the watch started, once it starts', async () => {
    const file = join(fixture.base, `native-pids-${++pidCount}`)
    const abort = new AbortController()
    abort.abort()
    let asked = 0
    const started = run('spawner', {
      env: { PATH: '/usr/bin:/bin', PIDFILE: file },
      clientSignal: () => {
        asked++
        return abort.signal
      },
    })
    const [leader, grandchild] = await readPids(file)
    const result = await started.done
    expect(result).toMatchObject({ returnCode: -15, timedOut: false })
    expect(started.clientLeft()).toBe(true)
    expect(asked).toBe(1)
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('truncates at the output cap and ends the command', async () => {
    const result = await run('endless', { maxOutputBytes: 10_000 }).done
    expect(result.truncated).toBe(true)
    expect(result.bytes.stdout).toBe(10_000)
    expect(Buffer.concat(result.output.stdout).byteLength).toBe(10_000)
  })

  it('stops reading while paused (backpressure) and delivers everything after resume', async () => {
    const total = 32 * 1024 * 1024
    let received = 0
    const started = run('flood', {
      args: [String(total)],
      capture: { stdout: true, stderr: false },
      maxOutputBytes: undefined,
      onChunk: (_stream, chunk) => {
        received += chunk.byteLength
      },
    })
    started.pause()
    await started.started
    await new Promise((resolve) => setTimeout(resolve, 300))
    const whilePaused = received
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(received).toBe(whilePaused)
    expect(received).toBeLessThan(4 * 1024 * 1024)
    started.resume()
    expect((await started.done).returnCode).toBe(0)
    expect(received).toBe(total)
  })
})

describe('output asked for as JSON text', () => {
  const spec = { capture: true, encode: null }
  const cases: Array<[string, Buffer]> = [
    [
      'UTF-8 text with quotes, backslashes and control characters',
      Buffer.from('a"b\\c\n\t\r\b\f\x00\x1f\x7f é € 😀\u2028'),
    ],
    ['every byte value (not UTF-8: base64 instead)', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
    ['nothing at all', Buffer.alloc(0)],
    [
      'long text with escapes at every offset of an 8-byte word',
      Buffer.from(
        Array.from({ length: 200_000 }, (_, i) => (i % 37 === 0 ? 10 : i % 53 === 0 ? 34 : 97 + (i % 26)))
      ),
    ],
  ]
  it.each(cases)('answers byte for byte what the raw path answers: %s', async (_name, bytes) => {
    const options = { stdin: bytes, text: { stdout: true, stderr: true } }
    const [text, raw] = await Promise.all([
      run('echo', options).done,
      run('echo', { ...options, spawner: directSpawner }).done,
    ])
    expect(text.text.stdout).toBe(bytes.byteLength > 0)
    expect(raw.text.stdout).toBe(false)
    expect(Buffer.from(resultJson(text, spec, spec)).toString()).toBe(
      Buffer.from(resultJson(raw, spec, spec)).toString()
    )
  })

  it('truncates at the cap, even inside a multi-byte character, as the raw path does', async () => {
    const bytes = Buffer.from('€'.repeat(4000))
    const options = { stdin: bytes, text: { stdout: true, stderr: false }, maxOutputBytes: 1000 }
    const [text, raw] = await Promise.all([
      run('echo', options).done,
      run('echo', { ...options, spawner: directSpawner }).done,
    ])
    expect(text).toMatchObject({ truncated: true, bytes: { stdout: 1000 } })
    // The exit status may differ (cat can finish before the SIGTERM); the output may not.
    const body = (result: RunResult) => {
      const { return: _code, ...rest } = JSON.parse(Buffer.from(resultJson(result, spec, spec)).toString())
      return rest
    }
    expect(body(text)).toEqual(body(raw))
  })

  it('is raw for a spawner that cannot escape', async () => {
    const spawner: Spawner = directSpawner
    const result = await run('both', { text: { stdout: true, stderr: true }, spawner }).done
    expect(result.text).toEqual({ stdout: false, stderr: false })
    expect(stdout(result)).toBe('out\n')
  })
})
