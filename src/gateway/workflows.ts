/** @module Workflow executions: start (also by name), get, search, remove — confined to the tenant and, for non-admins, to their own. */
import { type Context, Hono } from 'hono'
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
import { queryFlag } from './query-flags.ts'
import { searchExecutions } from './search.ts'

const startSchema = z.looseObject({
  name: z.string(),
  version: z.union([z.number().int().positive(), z.string().regex(/^\d{1,9}$/)]).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().min(0).max(99).optional(),
})

/**
 * Starts a workflow from a start request as Conductor takes it, under the tenant rules: no
 * client domain or inline definition, labels for non-admins, the tenant domain and the user as
 * correlation id. `POST /workflow` and `POST /workflow/{name}` both start through here.
 */
async function startWorkflow(c: Context<AppEnv>, gateway: GatewayContext, body: unknown): Promise<Response> {
  const principal = principalOf(c)
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
}

export function workflowRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  documentGateway(openapi, 'post', '/workflow', 'Start a workflow in the tenant domain; answers its id')
  app.post('/workflow', async (c) => startWorkflow(c, gateway, await jsonBody(c)))

  documentGateway(
    openapi,
    'post',
    '/workflow/:name',
    'Start a workflow by name (body: its input; query: version, priority); answers its id'
  )
  app.post('/workflow/:name', async (c) => {
    const input = await jsonBody(c)
    if (!isObject(input)) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [{ where: 'body', message: 'expected the input as a JSON object' }],
      })
    }
    const start: Record<string, unknown> = { name: c.req.param('name'), input }
    const version = c.req.query('version')
    if (version !== undefined && version !== '') start.version = version
    const priority = c.req.query('priority')
    if (priority !== undefined && priority !== '') {
      start.priority = /^\d{1,2}$/.test(priority) ? Number(priority) : priority
    }
    // A correlationId in the query is ignored: the gateway correlates every start to its user.
    return startWorkflow(c, gateway, start)
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
    const includeTasks = queryFlag(c.req.query('includeTasks'), 'includeTasks', true)
    const execution = await fetchExecution(c, gateway, c.req.param('workflowId'), includeTasks)
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
    const archive = queryFlag(c.req.query('archiveWorkflow'), 'archiveWorkflow', true)
    const query = new URLSearchParams(archive ? {} : { archiveWorkflow: 'false' })
    return forwardScrubbed(c, gateway, {
      method: 'DELETE',
      path: `/api/workflow/${segment(id)}/remove`,
      query,
    })
  })
  return app
}
