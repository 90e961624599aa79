/**
 * @module The audit line: one JSON log record per command request, denials included. Who (credential
 * id), what (command, resolved path, argument count, environment names), outcome, duration, bytes.
 * Never stdin, environment values, arguments or output (reference §6.7).
 */
import type { Logger } from '../../ops/logger.ts'

export interface AuditRecord {
  requestId: string | undefined
  caller: string
  auth: string
  command: string
  /** Resolved file, once known. */
  file?: string
  argc?: number
  envNames?: string[]
  stdinBytes?: number
  mode: 'buffered' | 'ndjson' | 'sse'
  status: number
  code?: string
  returnCode?: number
  signal?: string | null
  timedOut?: boolean
  truncated?: boolean
  /** Truncated because exec.max_buffered_bytes was reached. */
  overBudget?: boolean
  durationMs: number
  stdoutBytes?: number
  stderrBytes?: number
  clientGone?: boolean
}

/** Denials (401/403/404) are warnings: they may be probes (traversal attempts, guessed tokens). */
export function audit(logger: Logger, record: AuditRecord): void {
  const level = record.status === 401 || record.status === 403 || record.status === 404 ? 'warn' : 'info'
  logger[level]('exec audit', { ...record })
}
