import { readdirSync, readFileSync } from 'node:fs'

/** Pids of this process's children running a spawn helper (the Node one or the native one). */
export function helperPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
        return (
          ppid === process.pid &&
          /node-helper-main\.ts|flowgate-spawn-helper/.test(readFileSync(`/proc/${entry}/cmdline`, 'utf8'))
        )
      } catch {
        return false
      }
    })
    .map(Number)
}
