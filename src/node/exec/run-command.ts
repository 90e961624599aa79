/**
 * @module Runs one command through a Spawner (own process group, no shell), counting output as it
 * arrives. The whole group is killed (SIGTERM, then SIGKILL after a grace period) on timeout,
 * output cap, the client leaving, and shutdown (process/registry.ts); Node's own `timeout` option would
 * kill only the direct child.
 */
import { constants } from 'node:os'
import { terminateGroup } from '../process/group.ts'
import { directSpawner, type Spawner, type SpawnRequest, type StreamName } from '../process/spawner.ts'
import type { Encoding } from './encodings.ts'
import type { OutputCopies } from './output-blocks.ts'
import { type BudgetShare, replyLength } from './output-budget.ts'

export type { StreamName }

export interface RunOptions extends SpawnRequest {
  timeoutMs: number
  killGraceMs: number
  maxOutputBytes: number | undefined
  /**
   * The client's signal, asked for only once the run has lasted CLIENT_WATCH_DELAY_MS: its aborting
   * then kills the group. The listener is removed at the end.
   */
  clientSignal?: () => AbortSignal
  /** Streaming mode: called for each chunk instead of collecting it. */
  onChunk?: (stream: StreamName, chunk: Buffer) => void
  /** Direct spawn by default. */
  spawner?: Spawner
  /**
   * Buffered mode: this run's share of exec.max_buffered_bytes, charged for output as it arrives
   * (the bytes held plus the reply they become, given each stream's `encode`). Output the budget
   * cannot hold truncates the run as the cap does.
   */
  budget?: { share: BudgetShare; encode: Readonly<Record<StreamName, Encoding | null>> }
  /**
   * Buffered mode: escaped text output (the pieces the reply is sent from) is copied there rather
   * than held in the spawner's read buffers. Raw output is joined into the reply anyway.
   */
  copies?: OutputCopies
}

/**
 * How long a run goes before it watches its client. A run that ends sooner (most: `true` takes
 * about a millisecond) never asks for the request's signal: on Bun, making that signal and
 * listening on it was a measurable share of a short run's CPU (docs/PERFORMANCE.md). A client
 * that leaves is noticed at most this late.
 */
export const CLIENT_WATCH_DELAY_MS = 20

export interface RunResult {
  /** httpexec's `return`: the exit code, or -N for signal N. */
  returnCode: number
  signal: NodeJS.Signals | null
  timedOut: boolean
  truncated: boolean
  /** Truncated because exec.max_buffered_bytes was reached (not the run's own cap). */
  overBudget: boolean
  /** Collected output (buffered mode only): raw bytes, or JSON string text where `text` says so. */
  output: Record<StreamName, Buffer[]>
  /** Streams whose output the spawner delivered as JSON string text (SpawnRequest.text). */
  text: Record<StreamName, boolean>
  bytes: Record<StreamName, number>
}

export interface RunningCommand {
  /** Resolves once the process exists; rejects when it could not be started. */
  started: Promise<void>
  done: Promise<RunResult>
  pause(): void
  resume(): void
  /** Kills the group (SIGTERM, then SIGKILL). */
  kill(): void
  /**
   * The client left: kills the group and stops reading its output for good, so the run ends even
   * while its output is paused for a reader that is gone (a paused pipe never reaches its end).
   */
  abandon(): void
  /** The client left while the run watched it (from CLIENT_WATCH_DELAY_MS on). */
  clientLeft(): boolean
}

export function runCommand(options: RunOptions): RunningCommand {
  const output: Record<StreamName, Buffer[]> = { stdout: [], stderr: [] }
  const copies = options.copies
  const bytes: Record<StreamName, number> = { stdout: 0, stderr: 0 }
  const text: Record<StreamName, boolean> = { stdout: false, stderr: false }
  let pid: number | undefined
  let exited = false
  let killing = false
  let killRequested = false
  let timedOut = false
  let truncated = false
  let overBudget = false
  /** The rest of a text frame the budget refused is dropped with it. */
  const droppingFrame: Record<StreamName, boolean> = { stdout: false, stderr: false }
  let killTimer: NodeJS.Timeout | undefined
  /** Output held back for a slow reader (streaming): the pipes are not read meanwhile. */
  let paused = false
  let control: ReturnType<Spawner> | undefined

  const kill = () => {
    if (pid === undefined) {
      killRequested = true
      return
    }
    if (killing || exited) return
    killing = true
    killTimer = terminateGroup(pid, options.killGraceMs, () => {
      // A paused pipe is never read to its end, so the run would never close: a reader that
      // stalls past the timeout (or shutdown) loses the output it was not reading.
      if (paused) control?.discard()
    })
  }
  let client: AbortSignal | undefined
  let clientLeft = false
  const abandon = () => {
    clientLeft = true
    kill()
    control?.discard()
  }
  const timeOut = () => {
    timedOut = true
    kill()
  }
  // One timer at a time: first to the client watch (when there is a client), then to the timeout.
  const { clientSignal, timeoutMs } = options
  let timer =
    clientSignal && timeoutMs > CLIENT_WATCH_DELAY_MS
      ? setTimeout(() => {
          timer = setTimeout(timeOut, timeoutMs - CLIENT_WATCH_DELAY_MS)
          client = clientSignal()
          if (client.aborted) abandon()
          else client.addEventListener('abort', abandon, { once: true })
        }, CLIENT_WATCH_DELAY_MS)
      : setTimeout(timeOut, timeoutMs)
  const cleanup = () => {
    clearTimeout(timer)
    clearTimeout(killTimer)
    client?.removeEventListener('abort', abandon)
  }

  let resolveStarted: () => void = () => {}
  let rejectStarted: (error: Error) => void = () => {}
  const started = new Promise<void>((resolve, reject) => {
    resolveStarted = resolve
    rejectStarted = reject
  })
  const done = new Promise<RunResult>((resolve, reject) => {
    const spawner = options.spawner ?? directSpawner
    const fail = (error: Error) => {
      cleanup()
      rejectStarted(error)
      reject(error)
    }
    // Past the cap: truncate, kill the group, then stop reading (a command ignoring SIGTERM would
    // otherwise flood, through the helper into its memory, until the SIGKILL). Returns bytes kept.
    const keep = (name: StreamName, count: number): number => {
      const cap = options.maxOutputBytes
      if (cap === undefined || bytes[name] + count <= cap) return count
      truncated = true
      kill()
      control?.discard()
      return Math.max(0, cap - bytes[name])
    }
    // Past the budget: as past the cap, except that nothing more of this output is kept.
    const afford = (charge: number): boolean => {
      if (overBudget) return false
      if (!options.budget || options.budget.share.take(charge)) return true
      overBudget = true
      truncated = true
      kill()
      control?.discard()
      return false
    }
    // A spawner that throws must still settle `started`: the caller awaits it holding a slot.
    try {
      control = spawner(options, {
        onSpawn: (spawnedPid) => {
          pid = spawnedPid
          resolveStarted()
          if (killRequested) kill()
        },
        onError: fail,
        onData: (name, chunk) => {
          const kept = keep(name, chunk.byteLength)
          const piece = kept < chunk.byteLength ? chunk.subarray(0, kept) : chunk
          if (piece.byteLength === 0) return
          const encode = options.budget?.encode[name] ?? null
          if (options.budget && !afford(piece.byteLength + replyLength(piece, encode))) return
          bytes[name] += piece.byteLength
          if (options.onChunk) options.onChunk(name, piece)
          else output[name].push(piece)
        },
        // Only asked for in buffered mode (no onChunk); the escaped text already ends at the cap.
        ...(options.onChunk
          ? {}
          : {
              onText: (name: StreamName, escaped: Buffer, bytesRead: number, frameLength: number) => {
                text[name] = true
                bytes[name] += keep(name, bytesRead)
                // A whole frame is charged or dropped, so the text kept never ends inside an escape
                // sequence. Once: the reply is sent from these same buffers (result-body.ts), or,
                // for output that is not UTF-8, as base64 of the bytes.
                if (frameLength > 0) {
                  droppingFrame[name] = !afford(Math.max(frameLength, Math.ceil(bytesRead / 3) * 4))
                }
                if (escaped.byteLength === 0 || droppingFrame[name]) return
                if (copies) output[name].push(...copies.copy(escaped))
                else output[name].push(escaped)
              },
            }),
        onClose: (code, signal) => {
          exited = true
          cleanup()
          const returnCode = code ?? -(signal ? (constants.signals[signal] ?? 0) : 0)
          resolve({ returnCode, signal, timedOut, truncated, overBudget, output, text, bytes })
        },
      })
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)))
    }
  })
  return {
    started,
    done,
    kill,
    abandon,
    clientLeft: () => clientLeft,
    pause: () => {
      paused = true
      control?.pause()
    },
    resume: () => {
      paused = false
      control?.resume()
    },
  }
}
