/**
 * @module CPU time (user + system) used by a server process and the processes below it that live
 * through a measurement, from /proc: a server's own cost per request (its spawn helper or
 * re-executed child included; the commands it runs not), which background load and steal move far
 * less than requests/s do, so the reports print it beside them.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

/** Milliseconds per clock tick of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  } catch {
    return 10
  }
})()

function readStat(pid: string): { ppid: number; ticks: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) }
  } catch {
    return undefined
  }
}

/** CPU ticks used so far by `pid` and each live process below it; undefined without /proc or pid. */
function treeTicks(pid: number): Map<number, number> | undefined {
  if (!(pid > 0)) return undefined
  const table = new Map<number, { ppid: number; ticks: number }>()
  try {
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue
      const stat = readStat(name)
      if (stat) table.set(Number(name), stat)
    }
  } catch {
    return undefined
  }
  if (!table.has(pid)) return undefined
  const below = (start: number) => {
    for (let at = start, hops = 0; at > 0 && hops < 64; hops++) {
      if (at === pid) return true
      at = table.get(at)?.ppid ?? 0
    }
    return false
  }
  const ticks = new Map<number, number>()
  for (const [other, stat] of table) if (below(other)) ticks.set(other, stat.ticks)
  return ticks
}

/**
 * Starts measuring `pid`'s tree; the function returned gives µs of CPU per request since then,
 * counting the processes alive at both readings (the server, its helper or re-executed child),
 * so commands started and reaped in between count for nothing rather than in part.
 */
export function cpuMeter(pid: number): (requests: number) => number {
  const start = treeTicks(pid)
  return (requests) => {
    const end = treeTicks(pid)
    if (!start || !end || !(requests > 0)) return Number.NaN
    let ticks = 0
    for (const [other, before] of start) {
      const after = end.get(other)
      if (after !== undefined) ticks += after - before
    }
    return (ticks * TICK_MS * 1000) / requests
  }
}
