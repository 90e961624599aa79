/**
 * @module Start-up warnings about an exec root a cautious operator would not want: interpreters and
 * wrappers (equivalent to running arbitrary code) and a root the service user can write to
 * (dropped files, swapped links). Warnings, not errors: httpexec deployments may rely on them.
 */
import { accessSync, constants, readdirSync } from 'node:fs'
import { basename } from 'node:path'
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
  if (settings.mode === 'directory' && writable(settings.root)) {
    warnings.push('the exec root is writable by this user; make it read-only for the service')
  }
  return warnings
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
