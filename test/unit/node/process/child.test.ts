import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { type ChildHandle, type ChildOptions, startChild } from '../../../../src/node/process/child.ts'
import type { GroupWatcher } from '../../../../src/node/process/helper-runs.ts'
import { createNativeHelper } from '../../../../src/node/process/native-helper.ts'
import { createNodeHelper } from '../../../../src/node/process/node-helper.ts'
import { ProcessRegistry } from '../../../../src/node/process/registry.ts'
import { groupEnded, running } from '../exec/fixture-root.ts'

const ORPHAN_PARENT = fileURLToPath(new URL('./fixtures/orphan-parent.ts', import.meta.url))
const ENV = { PATH: '/usr/bin:/bin' }

/** The first `count` whitespace-separated numbers a child prints. */
async function firstNumbers(child: ChildHandle, count: number): Promise<number[]> {
  let text = ''
  for await (const chunk of child.stdout) {
    text += String(chunk)
    const numbers = text.trim().split(/\s+/).filter(Boolean).map(Number)
    if (numbers.length >= count && /\s$/.test(text)) return numbers.slice(0, count)
  }
  throw new Error(`the child ended after printing ${JSON.stringify(text)}`)
}

/** Starts `/bin/sh -c script`; the script's first line of output says it is ready. */
const shell = (script: string, options: Partial<ChildOptions> = {}) =>
  startChild({ file: '/bin/sh', args: ['-c', script], env: ENV, cwd: '/', ...options })

const helpers = [createNodeHelper(), createNativeHelper()] as const
afterAll(async () => {
  for (const helper of helpers) await helper.stop()
})

describe.each<[string, () => GroupWatcher | undefined]>([
  ['directly, unwatched', () => undefined],
  ['watched by the Node spawn helper', () => helpers[0].watcher],
  ['watched by the native spawn helper', () => helpers[1].watcher],
])('a long-lived child started %s', (_name, watcher) => {
  const start = (script: string, options: Partial<ChildOptions> = {}) =>
    shell(script, { watcher: watcher(), ...options })

  it('echoes lines written to its stdin, and exits on its own when stdin ends', async () => {
    const child = startChild({ file: 'cat', env: ENV, cwd: '/', watcher: watcher() })
    const lines: string[] = []
    child.stdout.setEncoding('utf8')
    const twoLines = new Promise<void>((resolve) => {
      child.stdout.on('data', (text: string) => {
        lines.push(text)
        if (lines.join('').split('\n').length > 2) resolve()
      })
    })
    child.stdin.write('one\n')
    child.stdin.write('two\n')
    await twoLines
    expect(lines.join('')).toBe('one\ntwo\n')
    child.stdin.end()
    expect(await child.exited).toEqual({ code: 0, signal: null, reason: 'exited' })
  })

  it('is stopped with SIGKILL after the grace when it ignores SIGTERM, grandchildren too', async () => {
    const child = start(`trap '' TERM; sleep 300 & echo "$$ $!"; exec sleep 300`, { killGraceMs: 200 })
    const [leader, grandchild] = await firstNumbers(child, 2)
    expect(await child.stop()).toEqual({ code: null, signal: 'SIGKILL', reason: 'stopped' })
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })

  it('is killed when it floods its output past the guard, and says so', async () => {
    // Ignores SIGTERM too: the guard stops reading, so the flood cannot go on until the SIGKILL.
    const child = start(`trap '' TERM; exec cat /dev/zero`, {
      maxOutputBytesPerSecond: 1024 * 1024,
      killGraceMs: 200,
    })
    child.stdout.resume()
    const exit = await child.exited
    expect(exit.reason).toBe('flood')
    expect(exit.code === 0).toBe(false)
    expect(await groupEnded(child.pid ?? 0)).toBe(true)
  })

  it('is killed at the end of its timeout', async () => {
    const child = start('exec sleep 300', { timeoutMs: 100 })
    expect(await child.exited).toEqual({ code: null, signal: 'SIGTERM', reason: 'timeout' })
  })

  it('reports a file that cannot start as failed, with its errno', async () => {
    const child = startChild({ file: '/nonexistent/flowgate-child', env: ENV, cwd: '/', watcher: watcher() })
    const exit = await child.exited
    expect(exit).toMatchObject({ code: null, signal: null, reason: 'failed' })
    expect(exit.error).toMatchObject({ code: 'ENOENT' })
  })

  it('is killed with its grandchildren when shutdown drains the registry', async () => {
    const registry = new ProcessRegistry()
    const children = [1, 2, 3].map(() =>
      start(`trap '' TERM; sleep 300 & echo "$$ $!"; exec sleep 300`, { registry, killGraceMs: 200 })
    )
    const pids = await Promise.all(children.map((child) => firstNumbers(child, 2)))
    expect(registry.size).toBe(3)
    await registry.closeAll()
    expect(registry.size).toBe(0)
    for (const child of children) expect((await child.exited).reason).toBe('killed')
    for (const [leader, grandchild] of pids) {
      expect(await groupEnded(leader ?? 0)).toBe(true)
      expect(running(grandchild ?? 0)).toBe(false)
    }
  })
})

describe.each(['node', 'native'])('a long-lived child watched by the %s spawn helper', (helper) => {
  it('does not outlive a flowgate killed by SIGKILL, nor do its grandchildren', async () => {
    const parent = spawn(process.execPath, [ORPHAN_PARENT, helper], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    for await (const chunk of parent.stdout) {
      text += String(chunk)
      if (text.endsWith('\n')) break
    }
    const [leader, grandchild] = text.trim().split(' ').map(Number)
    expect(running(leader ?? 0)).toBe(true)
    const gone = new Promise((resolve) => parent.once('exit', resolve))
    parent.kill('SIGKILL')
    await gone
    expect(await groupEnded(leader ?? 0)).toBe(true)
    expect(running(grandchild ?? 0)).toBe(false)
  })
})
