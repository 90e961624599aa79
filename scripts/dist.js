// Whether the compiled JavaScript in dist/js is current: the build (scripts/build.ts) writes
// dist/js/.built after compiling; the sources are newer when any file under src/ (or the build's
// tsconfig) changed since. Plain JavaScript, because bin/flowgate.js loads it on any Node.
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const DIST = join('dist', 'js')
export const STAMP = join(DIST, '.built')

/** The latest modification time (ms) of the files the build compiles. */
export function newestSource(root) {
  let newest = statSync(join(root, 'tsconfig.build.json')).mtimeMs
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  walk(join(root, 'src'))
  return newest
}

/** True when dist/js was built from the sources as they are now. */
export function distFresh(root) {
  try {
    return statSync(join(root, STAMP)).mtimeMs >= newestSource(root)
  } catch {
    return false
  }
}
