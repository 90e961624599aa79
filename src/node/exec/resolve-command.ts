/**
 * @module Maps a requested command name to the file to execute, in directory mode (under the
 * root, checked by path component after resolving links; with follow_links only the final
 * component may be a link) or allow-list mode. Any miss is the same 404 that echoes only the name.
 * The checks are synchronous: a few cached-metadata syscalls cost microseconds, where each
 * fs/promises call paid a thread-pool round trip. While the root path still leads to the root
 * directory of start-up, a short name with no link below it is its own real path: a stat of the
 * root and an lstat per component show it, and skip realpath, which costs more (figures in
 * docs/PERFORMANCE.md).
 */
import { accessSync, constants, lstatSync, realpathSync, type Stats, statSync } from 'node:fs'
import { isAbsolute, join, relative, sep } from 'node:path'
import { AppError } from '../../errors.ts'
import { type AllowedCommand, type ExecSettings, fileId } from './settings.ts'

export interface ResolvedCommand {
  /** The requested name, leading slashes removed. */
  name: string
  /** What is executed: always a real path, so a link swapped after the check changes nothing. */
  file: string
  /** What the child sees as argv[0]: httpexec's candidate path (the link itself with follow_links). */
  argv0: string
  /** Allow-list rule, when in that mode. */
  rule?: AllowedCommand
}

const MAX_NAME = 1024
const MAX_SEGMENT = 255

/** 404 for anything that is not a runnable command; `detail` carries only the (JSON-escaped) name. */
export function commandNotFound(name: string, cause?: string): AppError {
  const shown = name.length > 200 ? `${name.slice(0, 200)}…` : name
  return new AppError('FG_ERR_EXEC_COMMAND_NOT_FOUND', {
    detail: `Command ${JSON.stringify(shown)} not found.`,
    ...(cause ? { cause: new Error(cause) } : {}),
  })
}

/**
 * Why a decoded name is not a clean relative path (the router has already decoded `%2F`, so
 * `..%2Fx` arrives as `../x`), or undefined. Leading slashes are removed first, as httpexec's
 * router collapses them (`//echo` runs `echo` under the root).
 */
export function nameProblem(name: string): string | undefined {
  if (name === '' || name.length > MAX_NAME) return 'empty or too long'
  if ([...name].some((char) => char.charCodeAt(0) < 0x20 || char === '\x7f' || char === '\\')) {
    return 'control character or backslash'
  }
  for (const segment of name.split('/')) {
    if (segment === '') return 'empty segment'
    if (segment.startsWith('.')) return 'dot segment or hidden file'
    if (segment.length > MAX_SEGMENT) return 'segment too long'
  }
  return undefined
}

export function stripLeadingSlashes(raw: string): string {
  return raw.replace(/^\/+/, '')
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)
}

/** realpath(3), as fs/promises' realpath. */
const realpath = (path: string): string => realpathSync.native(path)

/** `stats`: the file's own, when already read (lstat of a path that is not a link). */
function executableFile(path: string, stats?: Stats): boolean {
  try {
    if (!(stats ?? statSync(path)).isFile()) return false
    accessSync(path, constants.X_OK)
    return true
  } catch {
    return false
  }
}

/** `dir`/`name` for a clean name (nameProblem): what path.join gives, without its normalising. */
const below = (dir: string, name: string) => (dir === sep ? `${sep}${name}` : `${dir}${sep}${name}`)

/** Names deeper than this take the long way: the walk's lstats cost grows with depth squared. */
const WALK_DEPTH = 8

/**
 * The final component's lstat when the candidate is its own real path: the root path still leads
 * to the root directory of start-up (same device and inode, so a root or parent swapped for a link
 * elsewhere is noticed) and no component of `name` below it is a link. `resolve` when that is not
 * shown (resolve it the long way); undefined when a component is missing or an intermediate one is
 * not a directory. Like realpath's answer, a reading at one instant.
 */
function walkBelow(settings: ExecSettings, name: string): Stats | 'resolve' | undefined {
  const segments = name.split('/')
  if (segments.length > WALK_DEPTH) return 'resolve'
  const rootStats = statSync(settings.root, { throwIfNoEntry: false })
  if (!rootStats || fileId(rootStats) !== settings.rootId) return 'resolve'
  let path = settings.root
  for (const [index, segment] of segments.entries()) {
    path = below(path, segment)
    const stats = lstatSync(path, { throwIfNoEntry: false })
    if (!stats) return undefined
    if (stats.isSymbolicLink()) return 'resolve'
    if (index === segments.length - 1) return stats
    if (!stats.isDirectory()) return undefined
  }
  return undefined
}

/** Resolves or throws the 404 AppError. */
export function resolveCommand(raw: string, settings: ExecSettings): ResolvedCommand {
  const name = stripLeadingSlashes(raw)
  const problem = nameProblem(name)
  if (problem) throw commandNotFound(name, `rejected name: ${problem}`)
  if (settings.mode === 'allowlist') {
    const rule = settings.commands.get(name)
    if (!rule || !executableFile(rule.path)) throw commandNotFound(name, 'not in the allow-list')
    return { name, file: realpath(rule.path), argv0: rule.path, rule }
  }
  const { root } = settings
  const candidate = below(root, name)
  try {
    const walked = walkBelow(settings, name)
    if (walked === undefined) throw commandNotFound(name, 'does not exist')
    if (walked !== 'resolve') {
      if (!executableFile(candidate, walked)) throw commandNotFound(name, 'not an executable regular file')
      return { name, file: candidate, argv0: candidate }
    }
    if (settings.followLinks) {
      // Only the final component may be a link: its parent must really be inside the root.
      const parent = realpath(join(candidate, '..'))
      if (parent !== root && !inside(root, parent)) throw commandNotFound(name, 'parent outside the root')
      const linkPath = join(parent, name.split('/').at(-1) ?? '')
      lstatSync(linkPath)
      const file = realpath(linkPath)
      if (!executableFile(file)) throw commandNotFound(name, 'not an executable regular file')
      return { name, file, argv0: candidate }
    }
    const file = realpath(candidate)
    if (!inside(root, file)) throw commandNotFound(name, 'resolves outside the root')
    if (!executableFile(file)) throw commandNotFound(name, 'not an executable regular file')
    return { name, file, argv0: file }
  } catch (error) {
    if (error instanceof AppError) throw error
    throw commandNotFound(name, 'does not exist')
  }
}
