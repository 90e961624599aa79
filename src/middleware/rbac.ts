/** @module Role checks: admin-only routes answer 403 (or 427 for workflow-proxy compatibility). */
import type { Context, MiddlewareHandler } from 'hono'
import type { AppEnv, Principal } from '../env.ts'
import { AppError } from '../errors.ts'

export interface RbacOptions {
  /** 403 by default; 427 reproduces the original workflow-proxy. */
  denyStatus: 403 | 427
}

/** The denial every RBAC check throws. */
export function forbidden(denyStatus: 403 | 427, detail: string): AppError {
  return new AppError('FG_ERR_RBAC_FORBIDDEN', { detail, status: denyStatus })
}

/** The principal set by identity(); a route without it is a wiring bug. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal')
  if (!principal) throw new Error('rbac: identity() must run before this route')
  return principal
}

/** Lets only admins through. */
export const requireAdmin = (options: RbacOptions): MiddlewareHandler<AppEnv> =>
  async function requireAdmin(c, next) {
    if (!principalOf(c).isAdmin) throw forbidden(options.denyStatus, 'This route is for admins.')
    await next()
  }
