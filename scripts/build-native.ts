/**
 * @module Builds the native spawn helper (native/spawn-helper.c -> native/build/) with the system C
 * compiler; run by `npm install` (postinstall). It never fails the install: without a compiler (or
 * off Linux) it prints one line and flowgate falls back to the Node spawn helper at run time.
 *   node scripts/build-native.ts [--quiet]
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const NATIVE = fileURLToPath(new URL('../native/', import.meta.url))
const SOURCE = join(NATIVE, 'spawn-helper.c')
const OUTPUT = join(NATIVE, 'build', 'flowgate-spawn-helper')

function build(): string | undefined {
  if (process.platform !== 'linux')
    return `not built: the native spawn helper is Linux-only (${process.platform})`
  const compiler = process.env.CC || 'cc'
  mkdirSync(join(NATIVE, 'build'), { recursive: true })
  // Built beside the target and renamed, so a running flowgate never sees a half-written file.
  const temporary = `${OUTPUT}.${process.pid}`
  const result = spawnSync(compiler, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', temporary, SOURCE], {
    encoding: 'utf8',
  })
  if (result.error || result.status !== 0) {
    rmSync(temporary, { force: true })
    const reason = result.error ? result.error.message : result.stderr.trim().split('\n')[0]
    return `not built (${compiler}: ${reason}); the Node spawn helper will be used`
  }
  renameSync(temporary, OUTPUT)
  return undefined
}

const problem = build()
if (problem) console.log(`flowgate native spawn helper ${problem}`)
else if (!process.argv.includes('--quiet')) console.log(`flowgate native spawn helper built: ${OUTPUT}`)
