/**
 * @module The share of CPU time the hypervisor took from this VM (`steal` in /proc/stat) between
 * two points of a benchmark: on a shared VM it is what makes figures swing between runs, so the
 * reports print it beside the load average.
 */
import { readFileSync } from 'node:fs'

function cpuTicks(): { steal: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const total = ticks.slice(0, 8).reduce((sum, n) => sum + n, 0)
    return { steal: ticks[7] ?? 0, total }
  } catch {
    return undefined
  }
}

/** Starts measuring; the function returned gives the steal share since then, as "2.4%" ("?" off Linux). */
export function stealMeter(): () => string {
  const start = cpuTicks()
  return () => {
    const end = cpuTicks()
    if (!start || !end || end.total === start.total) return '?'
    return `${((100 * (end.steal - start.steal)) / (end.total - start.total)).toFixed(1)}%`
  }
}
