/** @module The route pattern a request matched, as logs and metrics label it. */
import type { Context } from 'hono'
import { routePath } from 'hono/route'
import type { AppEnv } from '../env.ts'

/** Label of requests that matched no route: one series, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)'

/** The matched pattern (`/api/workflow/:id`), never the raw path, to keep label sets bounded. */
export function routeLabel(c: Context<AppEnv>): string {
  if (c.get('unmatched')) return UNMATCHED_ROUTE
  const path = routePath(c, -1)
  return path === '' || path === '*' || path === '/*' ? UNMATCHED_ROUTE : path
}
