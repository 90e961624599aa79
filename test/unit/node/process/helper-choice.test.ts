import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../../src/config/resolve.ts'
import { chooseSpawnHelper } from '../../../../src/node/process/helper-choice.ts'
import { nativeHelperProblem } from '../../../../src/node/process/native-helper.ts'

const mode = (value: string) =>
  resolveConfig({ env: { FLOWGATE_EXEC_SPAWN_HELPER: value } }).config.exec.spawn_helper

describe('exec.spawn_helper', () => {
  it.each([
    ['true', 'auto'],
    ['yes', 'auto'],
    ['false', 'off'],
    ['0', 'off'],
    ['native', 'native'],
    ['Node', 'node'],
    ['auto', 'auto'],
  ])('reads %j as %j', (value, expected) => {
    expect(mode(value)).toBe(expected)
  })

  it('defaults to "auto" and refuses other words', () => {
    expect(resolveConfig({ env: {} }).config.exec.spawn_helper).toBe('auto')
    expect(() => mode('fast')).toThrow(/exec\.spawn_helper/)
  })

  it.each([
    ['auto', 'node', 'native', true],
    ['native', 'node', 'native', true],
    ['node', 'node', 'node', false],
    ['off', 'node', 'off', false],
    ['auto', 'bun', 'native', false],
    ['native', 'bun', 'native', true],
    ['node', 'bun', 'off', false],
    ['off', 'bun', 'off', false],
    ['auto', 'deno', 'off', false],
    ['node', 'deno', 'off', false],
    ['native', 'deno', 'native', true],
  ] as const)(
    '%s on %s starts the %s helper, streams through it: %s (this checkout has it built)',
    (setting, runtime, kind, streams) => {
      const choice = chooseSpawnHelper(setting, runtime)
      expect(choice.kind).toBe(kind)
      expect(choice.streamsThroughHelper).toBe(streams)
      expect(choice.helper === undefined).toBe(kind === 'off')
    }
  )
})

describe('the native helper binary', () => {
  it('is reported missing, with the command that builds it', () => {
    expect(nativeHelperProblem('/nonexistent/flowgate-spawn-helper')).toMatch(/not built.*build-native\.ts/)
  })

  it('is reported stale when older than its source, so an old protocol is never spoken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flowgate-native-'))
    const binary = join(dir, 'flowgate-spawn-helper')
    writeFileSync(binary, '')
    utimesSync(binary, new Date(0), new Date(0))
    expect(nativeHelperProblem(binary)).toMatch(/older than .*spawn-helper\.c/)
    rmSync(dir, { recursive: true })
  })
})
