/**
 * @module Start-up warnings about an exec root a cautious operator would not want: interpreters and
 * wrappers (equivalent to running arbitrary code) and a root, directory in it or allow-listed file
 * the service user can write to (dropped files, swapped links). Warnings, not errors: httpexec deployments may rely on them.
 */
import { accessSync, constants, lstatSync, readdirSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import type { ExecSettings } from './settings.ts'

const INTERPRETERS =
  /^(sh|bash|dash|zsh|ksh|csh|tcsh|fish|busybox|env|xargs|sudo|doas|su|nohup|timeout|python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|deno|bun|php[0-9.]*|lua[0-9.]*|tclsh|awk|gawk|find)$/

export function rootWarnings(settings: ExecSettings): string[] {
  const warnings: string[] = []
  const paths =
    settings.mode === 'directory'
      ? listFiles(settings.root)
      : [...settings.commands.values()].map((c) => c.path)
  const risky = paths.filter((path) => INTERPRETERS.test(basename(path)))
  if (risky.length > 0) {
    warnings.push(
      `interpreters or wrappers can run arbitrary code: ${risky.map((p) => basename(p)).join(', ')}`
    )
  }
  // A writable directory anywhere on the way lets a file be dropped, or a directory swapped for a
  // link between the path check and the exec (Node has no fexecve): the check is only as good as
  // the tree is read-only.
  const exposed =
    settings.mode === 'directory'
      ? [settings.root, ...paths.map((path) => join(settings.root, path)).filter(isRealDirectory)]
      : paths.flatMap((path) => [path, dirname(path)])
  const open = [...new Set(exposed.filter(writable))]
  if (open.length > 0) {
    const shown = open.slice(0, 5).join(', ') + (open.length > 5 ? `, … (${open.length})` : '')
    warnings.push(
      `writable by this user, so commands can be dropped or swapped for links: ${shown}; make them read-only for the service`
    )
  }
  return warnings
}

function isRealDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory()
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
