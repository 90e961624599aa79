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

/**
 * Ends a group: SIGTERM now, SIGKILL after `graceMs` for what is left (then `afterKill`). Returns the
 * timer, to clear once the group has ended. Unreferenced: a pending SIGKILL never keeps flowgate up.
 */
export function terminateGroup(pid: number, graceMs: number, afterKill?: () => void): NodeJS.Timeout {
  signalGroup(pid, 'SIGTERM')
  const timer = setTimeout(() => {
    signalGroup(pid, 'SIGKILL')
    afterKill?.()
  }, graceMs)
  timer.unref()
  return timer
}
