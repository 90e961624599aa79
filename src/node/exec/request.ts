/**
 * @module Reads and validates a command request before anything runs: media type (415), JSON and
 * field types (400 naming each field), env policy, encodings, sizes. Returns ready-to-spawn values.
 */
import type { z } from 'zod'
import { AppError, type ProblemDetail } from '../../errors.ts'
import { Ascii85Error } from './ascii85.ts'
import { Base64Error } from './base64.ts'
import { decodeContent, type Encoding } from './encodings.ts'
import { deniedReason } from './environment.ts'
import { execRequestSchema } from './request-schema.ts'
import type { AllowedCommand, ExecSettings } from './settings.ts'

export interface OutputSpec {
  capture: boolean
  encode: Encoding | null
}

export interface ExecRequest {
  args: string[]
  /** Bytes for the child's stdin; undefined = /dev/null. */
  stdin: Uint8Array | undefined
  stdout: OutputSpec
  stderr: OutputSpec
  environment: Record<string, string>
  /** Effective timeout: the configured one, or lower when the request asks. */
  timeoutMs: number
}

/**
 * Linux's MAX_ARG_STRLEN (32 pages): execve fails with E2BIG for one longer argv or `NAME=value`
 * string (NUL included), whatever exec.max_argv_bytes allows in total.
 */
export const MAX_ARG_STRING_BYTES = 128 * 1024

const JSON_TYPE = /^application\/(json|[^;\s]+\+json)\s*(;|$)/i

function invalid(errors: ProblemDetail[]): AppError {
  const first = errors[0]
  const detail = first ? `${first.where}: ${first.message}` : 'The request is not valid.'
  return new AppError('FG_ERR_EXEC_INVALID_REQUEST', { detail, errors })
}

const pointer = (path: readonly PropertyKey[]) =>
  `/${path.map((part) => String(part).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`

function zodErrors(error: z.ZodError): ProblemDetail[] {
  return error.issues.map((issue) => ({ where: pointer(issue.path), message: issue.message }))
}

/** Parses the raw body: empty = all defaults (as httpexec); non-JSON media type = 415. */
export function parseBody(body: Uint8Array, contentType: string | undefined): unknown {
  if (body.byteLength === 0) return {}
  if (!contentType || !JSON_TYPE.test(contentType)) {
    throw new AppError('FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE', {
      detail: 'Send the request as application/json (or with no body for all defaults).',
    })
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch {
    throw invalid([{ where: '/', message: 'the body is not UTF-8' }])
  }
  try {
    const value: unknown = JSON.parse(text)
    return value === null ? {} : value
  } catch {
    throw invalid([{ where: '/', message: 'the body is not valid JSON' }])
  }
}

/** Validates a parsed body against the schema, the env policy and the size limits. */
export function toExecRequest(value: unknown, settings: ExecSettings): ExecRequest {
  // JSON.parse makes "__proto__" an own key; zod would drop it silently. Refuse it instead.
  const rawEnv = (value as { environment?: unknown } | null)?.environment
  if (typeof rawEnv === 'object' && rawEnv !== null && Object.hasOwn(rawEnv, '__proto__')) {
    throw invalid([{ where: '/environment/__proto__', message: '__proto__ may not be set by a request' }])
  }
  const result = execRequestSchema.safeParse(value)
  if (!result.success) throw invalid(zodErrors(result.error))
  const raw = result.data
  const errors: ProblemDetail[] = []
  const args = raw.args ?? []
  const environment = raw.environment ?? {}
  for (const [name, envValue] of Object.entries(environment)) {
    const reason = deniedReason(name, envValue)
    if (reason) errors.push({ where: pointer(['environment', name]), message: reason })
  }
  if (args.length > settings.maxArgs) {
    errors.push({ where: '/args', message: `at most ${settings.maxArgs} arguments` })
  }
  const envCount = Object.keys(environment).length
  if (envCount > settings.maxEnvVars) {
    errors.push({ where: '/environment', message: `at most ${settings.maxEnvVars} variables` })
  }
  const encoder = new TextEncoder()
  let argvBytes = 0
  const tooLong = `longer than ${MAX_ARG_STRING_BYTES} bytes (the kernel's limit for one string)`
  args.forEach((arg, index) => {
    const size = encoder.encode(arg).byteLength + 1
    if (size > MAX_ARG_STRING_BYTES) errors.push({ where: `/args/${index}`, message: tooLong })
    argvBytes += size
  })
  for (const [name, envValue] of Object.entries(environment)) {
    const size = encoder.encode(name).byteLength + encoder.encode(envValue).byteLength + 2
    if (size > MAX_ARG_STRING_BYTES) errors.push({ where: pointer(['environment', name]), message: tooLong })
    argvBytes += size
  }
  if (argvBytes > settings.maxArgvBytes) {
    errors.push({
      where: '/args',
      message: `arguments and environment exceed ${settings.maxArgvBytes} bytes`,
    })
  }
  let stdin: Uint8Array | undefined
  const content = raw.stdin?.content
  if (content !== undefined && content !== null) {
    try {
      stdin = decodeContent(content, raw.stdin?.encode ?? null)
    } catch (error) {
      if (!(error instanceof Ascii85Error || error instanceof Base64Error)) throw error
      errors.push({ where: '/stdin/content', message: error.message })
    }
    if (stdin && stdin.byteLength > settings.maxStdinBytes) {
      errors.push({ where: '/stdin/content', message: `larger than ${settings.maxStdinBytes} bytes` })
    }
  }
  if (errors.length > 0) throw invalid(errors)
  const requested = raw.timeout ? Math.ceil(raw.timeout * 1000) : settings.timeoutMs
  return {
    args,
    stdin,
    stdout: { capture: raw.stdout?.capture ?? false, encode: raw.stdout?.encode ?? null },
    stderr: { capture: raw.stderr?.capture ?? false, encode: raw.stderr?.encode ?? null },
    environment,
    timeoutMs: Math.min(requested, settings.timeoutMs),
  }
}

/** Allow-list rules: fixed leading args, a pattern every client arg matches, no options unless allowed. */
export function applyRule(rule: AllowedCommand | undefined, args: string[]): string[] {
  if (!rule) return args
  const errors: ProblemDetail[] = []
  if (rule.maxArgs !== undefined && args.length > rule.maxArgs) {
    errors.push({ where: '/args', message: `this command takes at most ${rule.maxArgs} arguments` })
  }
  args.forEach((arg, index) => {
    if (!rule.allowOptions && arg.startsWith('-')) {
      errors.push({
        where: `/args/${index}`,
        message: 'options (arguments starting with "-") are not allowed',
      })
    } else if (rule.argPattern && !rule.argPattern.test(arg)) {
      errors.push({ where: `/args/${index}`, message: 'does not match the allowed pattern' })
    }
  })
  if (errors.length > 0) throw invalid(errors)
  return [...rule.args, ...args]
}
