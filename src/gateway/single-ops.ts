/**
 * @module Operations on one execution (pause, resume, terminate, restart, retry): the execution
 * is read and checked first, as for each id of a bulk operation; another tenant's (or, for
 * non-admins, another user's) is a 404 and Conductor is never asked to act on it.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import type { HttpMethod, OpenApiRegistry } from '../ops/openapi.ts'
import { forwardScrubbed, type GatewayContext, segment } from './context.ts'
import { documentGateway } from './docs.ts'
import { fetchExecution } from './execution-access.ts'
import { queryFlag } from './query-flags.ts'

interface Operation {
  method: HttpMethod
  /** The path below `/workflow/{id}` ('' for the execution itself). */
  op: '' | '/pause' | '/resume' | '/restart' | '/retry'
  summary: string
  /** Free-text query parameters passed on (bounded). */
  text?: string
  /** A boolean query parameter passed on, normalised to `true`/`false`. */
  flag?: string
}

const OPERATIONS: readonly Operation[] = [
  { method: 'put', op: '/pause', summary: 'Pause an execution (non-admins: their own)' },
  { method: 'put', op: '/resume', summary: 'Resume an execution (non-admins: their own)' },
  {
    method: 'delete',
    op: '',
    summary: 'Terminate an execution, with an optional reason (non-admins: their own)',
    text: 'reason',
  },
  {
    method: 'post',
    op: '/restart',
    summary: 'Restart an execution (non-admins: their own)',
    flag: 'useLatestDefinitions',
  },
  {
    method: 'post',
    op: '/retry',
    summary: 'Retry the last failed task of an execution (non-admins: their own)',
    flag: 'resumeSubworkflowTasks',
  },
]

export function singleOpRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  for (const { method, op, summary, text, flag } of OPERATIONS) {
    documentGateway(openapi, method, `/workflow/:workflowId${op}`, summary)
    app.on(method.toUpperCase(), `/workflow/:workflowId${op}`, async (c) => {
      const id = c.req.param('workflowId')
      const query = new URLSearchParams()
      // Checked before the execution is read, so a bad flag touches nothing.
      if (flag !== undefined) {
        const value = c.req.query(flag)
        if (value !== undefined) query.set(flag, String(queryFlag(value, flag, false)))
      }
      if (text !== undefined) {
        const value = c.req.query(text)
        if (value !== undefined) query.set(text, value.slice(0, 500))
      }
      await fetchExecution(c, gateway, id, false)
      return forwardScrubbed(c, gateway, {
        method: method.toUpperCase(),
        path: `/api/workflow/${segment(id)}${op}`,
        query,
      })
    })
  }
  return app
}
