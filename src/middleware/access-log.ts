/** @module Request-scoped logger and one JSON access line per request (never headers or bodies). */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import type { Logger } from '../ops/logger.ts'
import { routeLabel } from './route-label.ts'

export interface AccessLogOptions {
  logger: Logger
  /** Write the access line (the request-scoped logger is set either way). */
  enabled?: boolean
}

export const accessLog = (options: AccessLogOptions): MiddlewareHandler<AppEnv> => {
  const { logger } = options
  const enabled = options.enabled ?? true
  return async function accessLog(c, next) {
    const started = performance.now()
    const requestLogger = logger.child({ requestId: c.get('requestId') })
    c.set('logger', requestLogger)
    await next()
    if (!enabled) return
    const principal = c.get('principal')
    writeAccessLine(requestLogger, {
      method: c.req.method,
      route: routeLabel(c),
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
      ...(principal ? { tenant: principal.tenant, user: principal.user } : {}),
    })
  }
}

/** The access line of one request: a warning for server errors, else information. */
export function writeAccessLine(
  logger: Logger,
  fields: {
    method: string
    route: string
    path: string
    status: number
    ms: number
    tenant?: string
    user?: string
  }
): void {
  if (fields.status >= 500) logger.warn('request', fields)
  else logger.info('request', fields)
}
