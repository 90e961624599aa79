/**
 * @module Conductor answers that are the caller's fault, recognised narrowly by status and JSON
 * `message` and turned into flowgate's own errors, so the engine's text (which can name its
 * back-end, its SQL and its internal names) never reaches the client. Anything else passes on.
 */
import { AppError, type ErrorCode, type ProblemDetail } from '../errors.ts'

/** One engine answer a route knows to be the caller's fault. */
export interface EngineRefusal {
  /** The statuses Conductor answers it with: its back-ends differ (404 in memory, 500 on PostgreSQL). */
  statuses: readonly number[]
  /** Conductor's JSON `message`, matched whole. */
  message: RegExp
  code: ErrorCode
  detail?: string
  errors?: ProblemDetail[]
}

/** What Conductor said, kept for the log (the error middleware logs causes at debug). */
export class EngineAnswer extends Error {
  readonly status: number

  constructor(status: number, message: string) {
    super(`Conductor answered ${status}: ${message}`)
    this.name = 'EngineAnswer'
    this.status = status
  }
}

// Conductor 3.21.14's answers, both back-ends the tests run (memory and PostgreSQL); a message of
// another version does not match, so it passes on as before rather than being mistaken.
const notFound = (statuses: readonly number[], message: RegExp, what: string): EngineRefusal => ({
  statuses,
  message,
  code: 'FG_ERR_GATEWAY_NOT_FOUND',
  detail: `No such ${what}.`,
})

export const EVENT_HANDLER_MISSING = notFound(
  [404, 500],
  /^EventHandler with name .+ not found!$/,
  'event handler'
)

export const EVENT_HANDLER_EXISTS: EngineRefusal = {
  statuses: [409, 500],
  message: /^EventHandler with name .+ already exists!$/,
  code: 'FG_ERR_GATEWAY_CONFLICT',
  detail: 'An event handler of this name exists; PUT /event updates it.',
}

/**
 * A body field of the wrong type or an unknown enum value (`"timeoutPolicy": "NOPE"`): Spring
 * cannot read the body the gateway re-serialised, and its text names Conductor's Java classes.
 */
export const BODY_UNREADABLE: EngineRefusal = {
  statuses: [400, 500],
  message: /^JSON parse error: [\s\S]*$/,
  code: 'FG_ERR_HTTP_BAD_REQUEST',
  errors: [{ where: 'body', message: 'a field has a value of the wrong type or an unknown enum value' }],
}

/** `DELETE /metadata/workflow/{name}/{version}` of a missing version. */
export const WORKFLOW_DEF_MISSING_ON_DELETE = notFound(
  [404, 500],
  /^(Cannot remove the workflow - n|N)o such workflow definition: .+ version: \d+$/,
  'workflow definition'
)

/** `GET /metadata/workflow/{name}` of a missing definition or version. */
export const WORKFLOW_DEF_MISSING = notFound(
  [404],
  /^No such workflow found by name: .+, version: (null|\d+)$/,
  'workflow definition'
)

/** `POST /workflow` of a missing definition or version. */
export const WORKFLOW_DEF_MISSING_ON_START = notFound(
  [404],
  /^No such workflow defined\. name=.+, version=(null|\d+)$/,
  'workflow definition'
)

export const WORKFLOW_DEF_EXISTS: EngineRefusal = {
  statuses: [409, 500],
  message: /^Workflow with .+ already exists!$/,
  code: 'FG_ERR_GATEWAY_CONFLICT',
  detail: 'This version of the workflow definition exists; PUT /metadata/workflow updates it.',
}

/** `DELETE /metadata/taskdefs/{name}` of a missing definition. */
export const TASK_DEF_MISSING_ON_DELETE = notFound(
  [404, 500],
  /^(Cannot remove the task - n|N)o such task definition$/,
  'task definition'
)

/** `PUT /metadata/taskdefs` of a missing definition. */
export const TASK_DEF_MISSING_ON_UPDATE = notFound([404], /^No such task by name .+$/, 'task definition')

/** `GET /metadata/taskdefs/{name}` of a missing definition. */
export const TASK_DEF_MISSING = notFound([404], /^No such taskType found by name: .+$/, 'task definition')

/**
 * Searches the PostgreSQL index refuses: `freeText` becomes a `tsquery`, whose syntax errors are
 * the client's; the client's `query` conditions become SQL whose value types, columns and
 * operators that back-end may not support. Connection or schema failures match none of these.
 */
export const SEARCH_REFUSALS: readonly EngineRefusal[] = [
  {
    statuses: [500],
    message: /^ERROR: [^\n]*\btsquery\b/,
    code: 'FG_ERR_HTTP_BAD_REQUEST',
    errors: [{ where: 'freeText', message: 'not a full-text query the engine can parse' }],
  },
  {
    statuses: [500],
    message: /^For input string: "[^"]*"$/,
    code: 'FG_ERR_HTTP_BAD_REQUEST',
    errors: [{ where: 'query', message: 'a time condition needs a number (epoch milliseconds)' }],
  },
  {
    statuses: [500],
    message:
      /^(Could not apply bind parameter at index \d+|ERROR: (column "[a-z_]+" does not exist|operator does not exist: |cannot cast type |invalid input syntax for type )[\s\S]*)$/,
    code: 'FG_ERR_HTTP_BAD_REQUEST',
    errors: [
      { where: 'query', message: "the engine's index cannot search by these fields, operators or values" },
    ],
  },
]

/** Conductor's error `message`, or undefined when the body is not its JSON error shape. */
export function engineMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown
    if (typeof body !== 'object' || body === null) return undefined
    const message = (body as { message?: unknown }).message
    return typeof message === 'string' ? message : undefined
  } catch {
    return undefined
  }
}

/** The flowgate error an engine answer maps to, or undefined when it is none of `refusals`. */
export function refusalOf(
  status: number,
  text: string,
  refusals: readonly EngineRefusal[]
): AppError | undefined {
  if (refusals.length === 0) return undefined
  const message = engineMessage(text)
  if (message === undefined) return undefined
  const refusal = refusals.find((r) => r.statuses.includes(status) && r.message.test(message))
  if (!refusal) return undefined
  return new AppError(refusal.code, {
    ...(refusal.detail === undefined ? {} : { detail: refusal.detail }),
    ...(refusal.errors === undefined ? {} : { errors: refusal.errors }),
    cause: new EngineAnswer(status, message),
  })
}
