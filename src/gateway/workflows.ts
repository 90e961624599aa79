/** @module Workflow executions: start, get, search, remove — confined to the tenant and, for non-admins, to their own. */
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import { forbidden } from '../middleware/rbac.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse } from '../proxy/json-rewrite.ts'
import {
  BODY_UNREADABLE,
  WORKFLOW_DEF_MISSING,
  WORKFLOW_DEF_MISSING_ON_START,
} from '../proxy/upstream-errors.ts'
import { stripExecution } from '../tenancy/execution.ts'
import { defVisibleTo } from '../tenancy/labels.ts'
import { prefix } from '../tenancy/naming.ts'
import { stripDef } from '../tenancy/workflow-def.ts'
import { isObject } from '../tenancy/workflow-tasks.ts'
import { callJson, forwardScrubbed, type GatewayContext, jsonBody, notFound, segment } from './context.ts'
import { documentGateway } from './docs.ts'
import { fetchExecution } from './execution-access.ts'
import { searchExecutions } from './search.ts'

const startSchema = z.looseObject({
  name: z.string(),
  version: z.union([z.number().int().positive(), z.string().regex(/^\d{1,9}$/)]).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().min(0).max(99).optional(),
})

export function workflowRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  documentGateway(openapi, 'post', '/workflow', 'Start a workflow in the tenant domain; answers its id')
  app.post('/workflow', async (c) => {
    const principal = principalOf(c)
    const body = await jsonBody(c)
    if (isObject(body)) {
      // An external payload path could name another tenant's stored input.
      for (const field of ['taskToDomain', 'workflowDef', 'externalInputPayloadStoragePath']) {
        if (body[field] !== undefined && body[field] !== null) {
          throw new AppError('FG_ERR_GATEWAY_FIELD_FORBIDDEN', {
            errors: [
              {
                where: `body.${field}`,
                message: 'the gateway sets the task domain and allows no inline definitions',
              },
            ],
          })
        }
      }
    }
    const parsed = startSchema.safeParse(body)
    if (!parsed.success) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: parsed.error.issues.map((issue) => ({
          where: ['body', ...issue.path].join('.'),
          message: issue.message,
        })),
      })
    }
    const name = prefix(principal.tenant, parsed.data.name, 'body.name')
    if (!principal.isAdmin) {
      const query = new URLSearchParams()
      if (parsed.data.version !== undefined) query.set('version', String(parsed.data.version))
      const def = await callJson(c, gateway, { path: `/api/metadata/workflow/${segment(name)}`, query }, [
        WORKFLOW_DEF_MISSING,
      ])
      if (!def.ok) return def.response
      const visible = stripDef(def.body, principal.tenant)
      if (!visible) throw notFound('workflow definition')
      if (!defVisibleTo(principal, visible.description)) {
        throw forbidden(gateway.denyStatus, 'This workflow is not labelled for your groups or roles.')
      }
    }
    const start = {
      ...parsed.data,
      name,
      taskToDomain: { '*': principal.tenant },
      correlationId: principal.user,
      createdBy: principal.user,
    }
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/workflow', json: start }, [
      WORKFLOW_DEF_MISSING_ON_START,
      BODY_UNREADABLE,
    ])
  })

  documentGateway(
    openapi,
    'get',
    '/workflow/search',
    "Search the tenant's executions (non-admins: their own)"
  )
  app.get('/workflow/search', (c) => searchExecutions(c, gateway, { topLevelOnly: false }))

  documentGateway(
    openapi,
    'get',
    '/workflow/search/top-level',
    'Search as /workflow/search, returning only executions that are not sub-workflows'
  )
  app.get('/workflow/search/top-level', (c) => searchExecutions(c, gateway, { topLevelOnly: true }))

  documentGateway(openapi, 'get', '/workflow/:workflowId', 'Get an execution (non-admins: their own)')
  app.get('/workflow/:workflowId', async (c) => {
    const principal = principalOf(c)
    const includeTasks = c.req.query('includeTasks') === 'false' ? 'false' : 'true'
    const execution = await fetchExecution(c, gateway, c.req.param('workflowId'), includeTasks === 'true')
    return jsonResponse(stripExecution(execution, principal.tenant))
  })

  documentGateway(
    openapi,
    'delete',
    '/workflow/:workflowId/remove',
    'Remove an execution (non-admins: their own)'
  )
  app.delete('/workflow/:workflowId/remove', async (c) => {
    const id = c.req.param('workflowId')
    await fetchExecution(c, gateway, id, false)
    const archive = c.req.query('archiveWorkflow')
    const query = new URLSearchParams(archive === 'false' ? { archiveWorkflow: 'false' } : {})
    return forwardScrubbed(c, gateway, {
      method: 'DELETE',
      path: `/api/workflow/${segment(id)}/remove`,
      query,
    })
  })
  return app
}
