/** @module Role checks: admin-only routes answer 403 (or 427 for workflow-proxy compatibility). */
import type { MiddlewareHandler } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'

export interface RbacOptions {
  /** 403 by default; 427 reproduces the original workflow-proxy. */
  denyStatus: 403 | 427
}

/** The denial every RBAC check throws. */
export function forbidden(denyStatus: 403 | 427, detail: string): AppError {
  return new AppError('FG_ERR_RBAC_FORBIDDEN', { detail, status: denyStatus })
}

/** Lets only admins through. */
export const requireAdmin = (options: RbacOptions): MiddlewareHandler<AppEnv> =>
  async function requireAdmin(c, next) {
    if (!principalOf(c).isAdmin) throw forbidden(options.denyStatus, 'This route is for admins.')
    await next()
  }
