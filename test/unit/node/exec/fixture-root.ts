/** @module A throw-away exec root with helper scripts and hostile links, built fresh per test file. */
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { descendants, processTable } from '../../../integration/processes.ts'

export { descendants }

export interface FixtureRoot {
  /** Real path of the temporary directory holding root/, outside/, rootsibling/. */
  base: string
  root: string
  outside: string
  remove(): void
}

const SCRIPTS: Record<string, string> = {
  // httpexec's test helper: stdin to stdout; `-e NAME` writes NAME=value to stderr.
  echo: `while [ "$1" = "-e" ]; do printf '%s=%s\\n' "$2" "$(printenv "$2")" >&2; shift 2; done\ncat`,
  exit42: 'exit 42',
  args: `for a in "$@"; do printf '[%s]\\n' "$a"; done`,
  env: 'env | LC_ALL=C sort',
  cwd: 'pwd',
  stdinfo: 'readlink /proc/self/fd/0',
  binary: `printf '\\377\\376binary'`,
  'bad-utf8': `printf 'ok\\377'`,
  killself: 'kill -TERM $$; sleep 5',
  sleeper: '[ $# -gt 0 ] || set -- 30\nsleep "$1"',
  // Leaves a grandchild in the group and records both pids in $PIDFILE.
  spawner: '[ $# -gt 0 ] || set -- 300\nsleep 300 &\necho "$$ $!" > "$PIDFILE"\nsleep "$1"',
  flood: 'head -c "$1" /dev/zero | tr "\\0" "x"',
  // $1 bytes of \x01 on stdout: six bytes each once escaped for the JSON reply (\u0001).
  controls: 'head -c "$1" /dev/zero | tr "\\0" "\\1"',
  endless: 'exec cat /dev/zero',
  // Ignores SIGTERM (cat inherits the ignored disposition), so only SIGKILL or SIGPIPE stop it.
  stubborn: "trap '' TERM\nexec cat /dev/zero",
  both: `printf 'out\\n'; printf 'err\\n' >&2; exit 3`,
  // A line, $1 seconds of silence, another line.
  pause: 'echo start\nsleep "$1"\necho end',
  'sub/tool': 'echo sub',
}

/** Writes a /bin/sh script (executable unless `mode` says otherwise). */
export function script(path: string, body: string, mode = 0o755): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`)
  chmodSync(path, mode)
}

export function createFixtureRoot(): FixtureRoot {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'flowgate-exec-')))
  const root = join(base, 'root')
  const outside = join(base, 'outside')
  for (const dir of [root, join(root, 'sub'), join(root, 'adir'), outside, join(base, 'rootsibling')]) {
    mkdirSync(dir, { recursive: true })
  }
  for (const [name, body] of Object.entries(SCRIPTS)) script(join(root, name), body)
  script(join(root, 'noexec'), 'echo never', 0o644)
  script(join(root, '.hidden'), 'echo hidden')
  writeFileSync(join(root, 'badinterp'), '#!/nonexistent/interpreter\n')
  chmodSync(join(root, 'badinterp'), 0o755)
  script(join(outside, 'tool'), 'echo outside')
  script(join(base, 'rootsibling', 'tool'), 'echo sibling')
  symlinkSync(join(root, 'echo'), join(root, 'link_in'))
  symlinkSync(join(outside, 'tool'), join(root, 'link_out'))
  symlinkSync(join(base, 'missing'), join(root, 'dangling'))
  symlinkSync(outside, join(root, 'dirlink'))
  symlinkSync(join(root, 'sub'), join(root, 'sublink'))
  symlinkSync(join(outside, 'tool'), join(root, 'sub', 'link_out'))
  return { base, root, outside, remove: () => rmSync(base, { recursive: true, force: true }) }
}

/** The pids a fixture script wrote to `path` (space-separated), waiting up to 5 s for them. */
export async function readPids(path: string): Promise<number[]> {
  for (let i = 0; i < 250; i++) {
    try {
      const text = readFileSync(path, 'utf8').trim()
      if (text.includes(' ')) return text.split(' ').map(Number)
    } catch {
      // not written yet
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`no pids written to ${path}`)
}

/** Whether a process is running (a zombie waiting for its reaper does not count). */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** Running (non-zombie) members of a process group, from /proc. */
export function groupMembers(pgid: number): number[] {
  return processTable()
    .filter((p) => p.state !== 'Z' && p.pgid === pgid)
    .map((p) => p.pid)
}

/** A process's resident set size in bytes (VmRSS). */
export function residentBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024
}

/** Waits up to `ms` for a group to have no running member. */
export async function groupEnded(pgid: number, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (groupMembers(pgid).length > 0) {
    if (Date.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}
