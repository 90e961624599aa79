/** @module A small structured logger: one JSON object per line, request-scoped children. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'
export type LogFields = Record<string, unknown>
/** Where a finished line goes; the default writes to stdout through console. */
export type LogSink = (line: string, level: LogLevel) => void

export interface Logger {
  debug(msg: string, fields?: LogFields): void
  info(msg: string, fields?: LogFields): void
  warn(msg: string, fields?: LogFields): void
  error(msg: string, fields?: LogFields): void
  /** A logger whose every line carries `bindings` (e.g. requestId, tenant). */
  child(bindings: LogFields): Logger
}

export interface LoggerOptions {
  level?: LogLevel | 'silent'
  sink?: LogSink
  bindings?: LogFields
}

const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

/**
 * Keys whose values never reach a log line, whatever the caller passes. Matched as a suffix, so
 * `proxy-authorization`, `keycloak_password`, `accessToken` and `x-api-key` are covered too.
 */
const REDACT = /(authorization|cookie|password|passwd|secret|token|api[-_]?key)$/i

const defaultSink: LogSink = (line) => console.log(line)

/**
 * Creates a JSON-lines logger.
 * @example createLogger({ level: 'info' }).child({ requestId }).info('request', { status: 200 })
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = ORDER[options.level ?? 'info']
  const sink = options.sink ?? defaultSink
  const bindings = options.bindings ?? {}
  const write = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[level] < threshold) return
    const record = { time: new Date().toISOString(), level, msg, ...bindings, ...fields }
    sink(serialise(record), level)
  }
  return {
    debug: (msg, fields) => write('debug', msg, fields),
    info: (msg, fields) => write('info', msg, fields),
    warn: (msg, fields) => write('warn', msg, fields),
    error: (msg, fields) => write('error', msg, fields),
    child: (more) => createLogger({ ...options, bindings: { ...bindings, ...more } }),
  }
}

/** Logging must never throw: circular fields are cut, unserialisable ones dropped. */
function serialise(record: LogFields): string {
  try {
    return JSON.stringify(record, replacer)
  } catch {
    const seen = new WeakSet<object>()
    try {
      return JSON.stringify(record, (key, value: unknown) => {
        if (typeof value === 'object' && value !== null) {
          if (seen.has(value)) return '[circular]'
          seen.add(value)
        }
        return replacer(key, value)
      })
    } catch {
      const { time, level, msg } = record
      return JSON.stringify({ time, level, msg, logError: 'fields could not be serialised' })
    }
  }
}

function replacer(key: string, value: unknown): unknown {
  if (key !== '' && REDACT.test(key)) return '[redacted]'
  if (value instanceof Error) {
    const out: LogFields = { name: value.name, message: value.message }
    if (value.stack) out.stack = value.stack
    if (value.cause !== undefined) out.cause = value.cause
    return out
  }
  if (typeof value === 'bigint') return value.toString()
  return value
}
