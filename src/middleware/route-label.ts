/** @module The route pattern a request matched, as logs and metrics label it. */
import type { Context } from 'hono'
import { matchedRoutes } from 'hono/route'
import type { AppEnv } from '../env.ts'

/** Label of requests that matched no route: one series, whatever the path. */
export const UNMATCHED_ROUTE = '(unmatched)'

/** How Hono records routes added with `use()` (and `all()`): for every method. */
const ANY_METHOD = 'ALL'

/**
 * The matched pattern (`/api/workflow/:id`), never the raw path, to keep label sets bounded.
 *
 * Hono lists every route whose pattern matches, in registration order: `/api/workflow/search`
 * and then `/api/workflow/:workflowId` both match `GET /api/workflow/search`, so the last match
 * is not the route that answered. The label is the route Hono last dispatched to when it was
 * registered for a method (the handler that answered, or its own middleware such as an admin
 * check); when a `use()` middleware answered (an identity check's 401), it is the first
 * method route that matched — the one that would have answered.
 */
export function routeLabel(c: Context<AppEnv>): string {
  if (c.get('unmatched')) return UNMATCHED_ROUTE
  const routes = matchedRoutes(c)
  const dispatched = routes[c.req.routeIndex]
  const own =
    dispatched?.method === ANY_METHOD
      ? (routes.find((route) => route.method !== ANY_METHOD) ?? dispatched)
      : dispatched
  const path = own?.path ?? ''
  return path === '' || path === '*' || path === '/*' ? UNMATCHED_ROUTE : path
}
