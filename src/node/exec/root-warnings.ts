/**
 * @module Start-up warnings about an exec root a cautious operator would not want: interpreters and
 * wrappers (equivalent to running arbitrary code) and a root, directory or file in it (or an
 * allow-listed file or its directory) that the user commands run as can write to (dropped files,
 * swapped links, rewritten commands). Warnings, not errors: httpexec deployments may rely on them.
 */
import { accessSync, constants, lstatSync, readdirSync, realpathSync, type Stats, statSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { RunAs } from '../process/run-as.ts'
import { type ExecSettings, fileId } from './settings.ts'

const INTERPRETERS =
  /^(sh|bash|dash|zsh|ksh|csh|tcsh|fish|busybox|env|xargs|sudo|doas|su|nohup|timeout|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|deno|bun|php[0-9.]*|lua[0-9.]*|tclsh|awk|gawk|find)$/

/** Where interpreters are looked for when a command's own name does not say what it is. */
const SYSTEM_DIRS = ['/bin', '/usr/bin', '/usr/local/bin', '/sbin', '/usr/sbin', '/usr/local/sbin']

export interface RootWarningOptions {
  /** exec.warn_writable: also warn about what the commands' user can write. */
  writable: boolean
}

export function rootWarnings(
  settings: ExecSettings,
  options: RootWarningOptions = { writable: true }
): string[] {
  const warnings: string[] = []
  const paths =
    settings.mode === 'directory'
      ? listFiles(settings.root)
      : [...settings.commands.values()].map((c) => c.path)
  const known = interpreterIds([...SYSTEM_DIRS, ...(settings.baseEnv.PATH ?? '').split(':')])
  const risky = paths
    .map((path) => interpreterBehind(join(settings.root, path), known))
    .filter((shown) => shown !== undefined)
  if (risky.length > 0) {
    warnings.push(`interpreters or wrappers can run arbitrary code: ${risky.join(', ')}`)
  }
  // A writable directory anywhere on the way lets a file be dropped, or a directory swapped for a
  // link between the path check and the exec (Node has no fexecve); a writable command can be
  // rewritten for the next caller. The check is only as good as the tree is read-only.
  // Directories first: the ones shown should be those that allow swaps.
  const entries = paths.map((path) => join(settings.root, path))
  const exposed =
    settings.mode === 'directory'
      ? [settings.root, ...entries.filter(isRealDirectory), ...entries.filter(isRegularFile)]
      : [...paths.map((path) => dirname(path)), ...paths]
  // Commands run as exec.run_as when it is set: that user is the one that must not write here.
  const runAs = settings.runAs
  const canWrite = (path: string) => (runAs ? writableBy(path, runAs) : writable(path))
  const open = options.writable ? [...new Set(exposed.filter(canWrite))] : []
  if (open.length > 0) {
    const shown = open.slice(0, 5).join(', ') + (open.length > 5 ? `, … (${open.length})` : '')
    const who = runAs ? `the exec.run_as user (uid ${runAs.uid}, gid ${runAs.gid})` : 'this user'
    warnings.push(
      `writable by ${who}, so commands can be dropped or swapped for links: ${shown}; make them read-only for it`
    )
  }
  return warnings
}

/**
 * How `path` is shown when it is an interpreter or wrapper, by name or in disguise: its own name, the
 * name of the file its links end at (`shlink` → /bin/sh), or the same file (`dev:ino`, a hard link)
 * as an interpreter in the system directories. A renamed copy is not recognised.
 */
function interpreterBehind(path: string, known: ReadonlyMap<string, string>): string | undefined {
  const name = basename(path)
  if (INTERPRETERS.test(name)) return name
  let real: string
  let id: string
  try {
    real = realpathSync(path)
    const stats = statSync(real)
    if (!stats.isFile()) return undefined
    id = fileId(stats)
  } catch {
    return undefined
  }
  if (INTERPRETERS.test(basename(real))) return `${name} (${real})`
  const same = known.get(id)
  return same === undefined ? undefined : `${name} (the same file as ${same})`
}

/** The interpreters and wrappers found in `dirs`, by file identity (`dev:ino`) → a path of each. */
function interpreterIds(dirs: readonly string[]): Map<string, string> {
  const ids = new Map<string, string>()
  for (const dir of new Set(dirs.filter((d) => d.startsWith('/')))) {
    let names: string[]
    try {
      names = readdirSync(dir)
    } catch {
      continue
    }
    for (const name of names) {
      if (!INTERPRETERS.test(name)) continue
      try {
        const path = join(dir, name)
        const stats = statSync(path)
        if (stats.isFile() && !ids.has(fileId(stats))) ids.set(fileId(stats), path)
      } catch {
        // A dangling link: nothing to compare with.
      }
    }
  }
  return ids
}

/**
 * Whether a process with exactly these ids (no supplementary groups: commands run after
 * setgroups(0)) may write `stats`' file by its mode bits, or make it writable: its owner may chmod
 * it. ACLs and capabilities other than root's are not looked at.
 */
export function modeLetsWrite(stats: Pick<Stats, 'uid' | 'gid' | 'mode'>, ids: RunAs): boolean {
  if (ids.uid === 0 || stats.uid === ids.uid) return true
  if (stats.gid === ids.gid) return (stats.mode & 0o020) !== 0
  return (stats.mode & 0o002) !== 0
}

function writableBy(path: string, ids: RunAs): boolean {
  try {
    return modeLetsWrite(statSync(path), ids)
  } catch {
    return false
  }
}

// Links are left out: replacing one needs its directory, which is checked.
function isRealDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory()
  } catch {
    return false
  }
}

function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile()
  } catch {
    return false
  }
}

function listFiles(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, encoding: 'utf8' }).slice(0, 10_000)
  } catch {
    return []
  }
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}
