/**
 * @module CPU time (user + system) used by a server process and the processes below it that live
 * through a measurement, from /proc: a server's own cost per request (its spawn helper or
 * re-executed child included; the commands it runs not), which background load and steal move far
 * less than requests/s do, so the reports print it beside them.
 */
import { execFileSync } from 'node:child_process'
import { descendants, processTable } from '../test/integration/processes.ts'

/** Milliseconds per clock tick of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = (() => {
  try {
    return 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  } catch {
    return 10
  }
})()

/** CPU ticks used so far by `pid` and each live process below it; undefined without /proc or pid. */
function treeTicks(pid: number): Map<number, number> | undefined {
  if (!(pid > 0)) return undefined
  const table = processTable()
  const self = table.find((p) => p.pid === pid)
  if (!self) return undefined
  return new Map([self, ...descendants(pid, table)].map((p) => [p.pid, p.ticks]))
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
