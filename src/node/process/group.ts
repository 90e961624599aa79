/**
 * @module Process groups: every child of the kernel leads its own group, so a signal to the group
 * reaches its grandchildren too (a shell's pipeline, an interpreter's subprocesses).
 */

/** Signals the group led by `pid`; a group already gone is not an error. */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}
