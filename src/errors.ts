/** @module The one registry of error codes, the AppError type and its RFC 9457 problem rendering. */
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/**
 * Every error a client can see. Code → HTTP status and a short, stable title.
 * Documented one by one in docs/ERRORS.md (a unit test keeps the two in step).
 */
export const ERRORS = {
  FG_ERR_HTTP_BAD_REQUEST: { status: 400, title: 'The request is not valid' },
  FG_ERR_HTTP_NOT_FOUND: { status: 404, title: 'No such route' },
  FG_ERR_HTTP_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route' },
  FG_ERR_HTTP_BODY_TOO_LARGE: { status: 413, title: 'Request body exceeds the size limit' },
  FG_ERR_HTTP_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type' },
  FG_ERR_HTTP_UPGRADE_REQUIRED: { status: 426, title: 'This route speaks WebSocket only' },
  // identity and access
  FG_ERR_AUTH_UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  FG_ERR_AUTH_TENANT_INVALID: { status: 400, title: 'Invalid tenant id' },
  FG_ERR_AUTH_NOT_CONFIGURED: { status: 503, title: 'Authentication is not configured' },
  FG_ERR_AUTH_KEYS_UNAVAILABLE: { status: 503, title: 'The token signing keys are not available' },
  FG_ERR_RBAC_FORBIDDEN: { status: 403, title: 'Not allowed for your roles and groups' },
  // Conductor gateway
  FG_ERR_GATEWAY_NOT_FOUND: { status: 404, title: 'Not found' },
  FG_ERR_GATEWAY_CONFLICT: { status: 409, title: 'Already exists' },
  FG_ERR_GATEWAY_NAME_INVALID: { status: 400, title: 'Invalid name' },
  FG_ERR_GATEWAY_FIELD_FORBIDDEN: { status: 400, title: 'A field the gateway sets itself was sent' },
  FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN: { status: 400, title: 'Task type not allowed' },
  FG_ERR_TASK_PROXY_ROUTE_CLOSED: { status: 404, title: 'Not served to workers by the task proxy' },
  FG_ERR_SCHEDULER_NOT_CONFIGURED: { status: 503, title: 'No scheduler is configured' },
  FG_ERR_UPSTREAM_UNAVAILABLE: { status: 502, title: 'The workflow engine cannot be reached' },
  FG_ERR_UPSTREAM_TIMEOUT: { status: 504, title: 'The workflow engine did not answer in time' },
  FG_ERR_UPSTREAM_INVALID: {
    status: 502,
    title: 'The workflow engine sent an answer the gateway cannot use',
  },
  FG_ERR_INTERNAL: { status: 500, title: 'Internal error' },
  FG_ERR_CONFIG_INVALID: { status: 500, title: 'The server configuration is invalid; see its log' },
  FG_ERR_NOT_READY: { status: 503, title: 'Not ready' },
  FG_ERR_DOCS_UNAVAILABLE: { status: 503, title: 'The API viewer assets are not available' },
  // command execution
  FG_ERR_EXEC_INVALID_REQUEST: { status: 400, title: 'The command request is not valid' },
  FG_ERR_EXEC_UNAUTHENTICATED: { status: 401, title: 'Credentials are missing or not valid' },
  FG_ERR_EXEC_FORBIDDEN: { status: 403, title: 'Not allowed to run this command' },
  FG_ERR_EXEC_COMMAND_NOT_FOUND: { status: 404, title: 'No such command' },
  FG_ERR_EXEC_BUSY: { status: 429, title: 'Too many commands are running' },
  FG_ERR_EXEC_SPAWN_FAILED: { status: 500, title: 'The command could not be started' },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>

export type ErrorCode = keyof typeof ERRORS

/** One problem detail about a single field or value, for 400-style errors. */
export interface ProblemDetail {
  /** Where the problem is: a JSON pointer, a header name, a query key. */
  where: string
  message: string
}

export interface AppErrorOptions {
  /** A short sentence for the client; never internals or echoed secrets. */
  detail?: string
  /** Per-field problems (validation). */
  errors?: ProblemDetail[]
  /** Extra response headers (e.g. `Allow`, `Retry-After`). */
  headers?: Record<string, string>
  /** The underlying error: logged, never sent. */
  cause?: unknown
  /** Overrides the registered status (the 427 compatibility switch of RBAC denials). */
  status?: number
}

/**
 * A request problem with a registered code. Handlers and middleware throw it; the error
 * middleware renders it as `application/problem+json`.
 * @example throw new AppError('FG_ERR_HTTP_BAD_REQUEST', { detail: 'args must be an array' })
 */
export class AppError extends HTTPException {
  readonly code: ErrorCode
  readonly detail: string | undefined
  readonly errors: ProblemDetail[] | undefined
  readonly headers: Record<string, string> | undefined

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    super((options.status ?? ERRORS[code].status) as ContentfulStatusCode, {
      message: ERRORS[code].title,
      cause: options.cause,
    })
    this.name = 'AppError'
    this.code = code
    this.detail = options.detail
    this.errors = options.errors
    this.headers = options.headers
  }
}

/** The RFC 9457 body flowgate sends, plus `code` and `requestId`. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  code: ErrorCode
  requestId?: string
  errors?: ProblemDetail[]
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Builds the problem body for a code; `type` is a stable URN clients may switch on. */
export function toProblem(error: AppError, requestId: string | undefined): Problem {
  const problem: Problem = {
    type: `urn:flowgate:error:${error.code}`,
    title: ERRORS[error.code].title,
    status: error.status,
    code: error.code,
  }
  if (error.detail !== undefined) problem.detail = error.detail
  if (error.errors !== undefined) problem.errors = error.errors
  if (requestId !== undefined) problem.requestId = requestId
  return problem
}

/** Renders an AppError as a problem+json Response. */
export function problemResponse(error: AppError, requestId: string | undefined): Response {
  const headers = new Headers(error.headers)
  headers.set('content-type', PROBLEM_CONTENT_TYPE)
  if (requestId !== undefined) headers.set('x-request-id', requestId)
  return new Response(JSON.stringify(toProblem(error, requestId)), {
    status: error.status,
    headers,
  })
}
