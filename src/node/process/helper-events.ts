/**
 * @module The one shape of a spawn helper's events, whichever helper sent them: the Node helper's
 * IPC messages (node-helper-main.ts) and the native helper's frames once decoded (native-frames.ts)
 * are both HelperEvents, delivered to a run's SpawnEvents by one function (helper-runs.ts).
 */
import type { StreamName } from './spawner.ts'

export type HelperEvent =
  /** The child exists: its pid, which leads its process group. */
  | { type: 'spawn'; id: number; pid: number }
  /** It could not be started (`code` is the errno name, as Node's spawn errors carry). */
  | { type: 'error'; id: number; message: string; code?: string }
  | { type: 'data'; id: number; stream: StreamName; chunk: Uint8Array }
  /** Native helper only: output asked for as JSON string text (SpawnEvents.onText). */
  | { type: 'text'; id: number; stream: StreamName; escaped: Buffer; bytesRead: number; frameLength: number }
  /** It exited and its pipes are closed: an exit code, or the signal that ended it. */
  | { type: 'close'; id: number; code: number | null; signal: NodeJS.Signals | null }
  /** Native helper only: a malformed request frame was dropped (id 0). */
  | { type: 'fault'; id: number; message: string }

/** What flowgate asks of a helper, by the same names in both protocols. */
export type HelperControl = 'pause' | 'resume' | 'discard' | 'watch' | 'unwatch'
