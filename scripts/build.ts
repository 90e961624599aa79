/**
 * @module Compiles src/ to JavaScript in dist/js (tsc with tsconfig.build.json) so the `flowgate`
 * command and `npm start` run without stripping types at load time: Node's type stripper costs
 * resident memory in every process (docs/PERFORMANCE.md). Skips the work when
 * dist/js is current; `--force` rebuilds. Never fails the caller's install or start: when tsc
 * is missing or fails, it says so and flowgate runs from the TypeScript sources as before.
 *
 *   node scripts/build.ts [--force] [--quiet]
 */
import { spawnSync } from 'node:child_process'
import { existsSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DIST, distFresh } from './dist.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const force = process.argv.includes('--force')
const quiet = process.argv.includes('--quiet')
const say = (line: string) => {
  if (!quiet) process.stderr.write(`flowgate build: ${line}\n`)
}

if (!force && distFresh(root)) {
  say('dist/js is current')
} else {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!existsSync(tsc)) {
    say('TypeScript is not installed; flowgate will run from its sources')
  } else {
    // Stamped before compiling: a source saved during the build makes the result stale again.
    // Compiled aside and moved in whole, so a flowgate starting meanwhile sees old or new files.
    const started = new Date()
    const aside = join(root, `${DIST}.building-${process.pid}`)
    rmSync(aside, { recursive: true, force: true })
    const result = spawnSync(
      process.execPath,
      [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', aside],
      {
        cwd: root,
        stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
      }
    )
    if (result.status === 0) {
      writeFileSync(join(aside, '.built'), `${started.toISOString()}\n`)
      utimesSync(join(aside, '.built'), started, started)
      rmSync(join(root, DIST), { recursive: true, force: true })
      renameSync(aside, join(root, DIST))
      say('compiled src/ to dist/js')
    } else {
      rmSync(aside, { recursive: true, force: true })
      say('tsc failed; flowgate will run from its sources')
    }
  }
}
