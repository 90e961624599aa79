/**
 * @module Resolves a `run_as` setting ("user", "user:group", "uid", "uid:gid") to numeric ids once at
 * start-up, from /etc/passwd and /etc/group, and refuses what could not work: an unknown user or
 * group, or another user while flowgate is not root (setuid would fail on every run).
 */
import { readFileSync } from 'node:fs'
import { ConfigError } from '../../config/sources.ts'

export interface RunAs {
  uid: number
  gid: number
}

export interface RunAsInput {
  /** Contents of /etc/passwd and /etc/group (read from disk by default). */
  passwd?: string
  group?: string
  /** flowgate's own ids (process.getuid/getgid by default). */
  uid?: number
  gid?: number
  /** The setting named in errors. */
  setting?: string
}

const NUMERIC = /^\d+$/

/** name → [id, primary gid]: the first fields of passwd(5) / group(5) lines. */
function table(text: string): Map<string, { id: number; gid: number }> {
  const entries = new Map<string, { id: number; gid: number }>()
  for (const line of text.split('\n')) {
    const [name, , id, gid] = line.split(':')
    if (!name || name.startsWith('#') || id === undefined || !NUMERIC.test(id)) continue
    if (!entries.has(name)) entries.set(name, { id: Number(id), gid: Number(gid) })
  }
  return entries
}

function readTable(path: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return ''
  }
}

export function resolveRunAs(spec: string, input: RunAsInput = {}): RunAs {
  const setting = input.setting ?? 'exec.run_as'
  const fail = (message: string): never => {
    throw new ConfigError([{ source: setting, message }])
  }
  const [userPart = '', groupPart] = spec.split(':')
  const users = table(input.passwd ?? readTable('/etc/passwd'))
  const byUid = [...users.values()].find((entry) => NUMERIC.test(userPart) && entry.id === Number(userPart))
  // A numeric uid needs no passwd entry (containers use arbitrary ids), but then has no primary group.
  const user = NUMERIC.test(userPart)
    ? { id: Number(userPart), gid: byUid?.gid }
    : (users.get(userPart) ?? fail(`user "${userPart}" does not exist`))
  let gid: number
  if (groupPart === undefined) {
    gid = user.gid ?? fail(`uid ${userPart} has no /etc/passwd entry: give its group as "${userPart}:<gid>"`)
  } else if (NUMERIC.test(groupPart)) {
    gid = Number(groupPart)
  } else {
    const groups = table(input.group ?? readTable('/etc/group'))
    gid = groups.get(groupPart)?.id ?? fail(`group "${groupPart}" does not exist`)
  }
  const ownUid = input.uid ?? process.getuid?.() ?? 0
  const ownGid = input.gid ?? process.getgid?.() ?? 0
  if (ownUid !== 0 && (user.id !== ownUid || gid !== ownGid)) {
    fail(`flowgate runs as uid ${ownUid}, not root: it can only run commands as ${ownUid}:${ownGid}`)
  }
  return { uid: user.id, gid }
}
