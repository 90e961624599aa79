/** @module Workflow executions: start, get, search, remove — confined to the tenant and, for non-admins, to their own. */
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../../env.ts'
import { AppError } from '../../errors.ts'
import { executionVisibleTo, stripExecution } from '../../lib/execution.ts'
import { defVisibleTo } from '../../lib/labels.ts'
import { owns, prefix } from '../../lib/naming.ts'
import type { OpenApiRegistry } from '../../lib/openapi.ts'
import { clientConditions, ownerCondition, tenantCondition } from '../../lib/search-query.ts'
import { stripDef } from '../../lib/workflow-def.ts'
import { isObject } from '../../lib/workflow-tasks.ts'
import { forbidden, principalOf } from '../../middleware/rbac.ts'
import { jsonResponse } from '../../proxy/json-rewrite.ts'
import { callJson, forwardScrubbed, type GatewayContext, jsonBody, notFound, segment } from './context.ts'
import { documentGateway } from './docs.ts'
import { fetchExecution } from './execution-access.ts'

const startSchema = z.looseObject({
  name: z.string(),
  version: z.union([z.number().int().positive(), z.string().regex(/^\d{1,9}$/)]).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  priority: z.number().int().min(0).max(99).optional(),
})

const searchSchema = z.object({
  start: z.coerce.number().int().min(0).max(100_000).default(0),
  size: z.coerce.number().int().min(1).max(5_000).default(100),
  sort: z
    .string()
    .max(200)
    .regex(/^[A-Za-z]+(:(ASC|DESC))?(,[A-Za-z]+(:(ASC|DESC))?)*$/)
    .optional(),
  freeText: z.string().max(1_000).default('*'),
  query: z.string().max(4_000).optional(),
})

export function workflowRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  documentGateway(openapi, 'post', '/workflow', 'Start a workflow in the tenant domain; answers its id')
  app.post('/workflow', async (c) => {
    const principal = principalOf(c)
    const body = await jsonBody(c)
    if (isObject(body)) {
      for (const field of ['taskToDomain', 'workflowDef']) {
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
      const def = await callJson(c, gateway, { path: `/api/metadata/workflow/${segment(name)}`, query })
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
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/workflow', json: start })
  })

  documentGateway(
    openapi,
    'get',
    '/workflow/search',
    "Search the tenant's executions (non-admins: their own)"
  )
  app.get('/workflow/search', async (c) => {
    const principal = principalOf(c)
    const parsed = searchSchema.safeParse(c.req.query())
    if (!parsed.success) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: parsed.error.issues.map((issue) => ({ where: issue.path.join('.'), message: issue.message })),
      })
    }
    const { start, size, sort, freeText, query } = parsed.data
    const conditions = clientConditions(query, principal.tenant)
    const defs = await callJson(c, gateway, { path: '/api/metadata/workflow' })
    if (!defs.ok) return defs.response
    const names = [
      ...new Set(
        (Array.isArray(defs.body) ? defs.body : []).map((def) => (isObject(def) ? def.name : undefined))
      ),
    ]
    const tenantClause = tenantCondition(names.filter((name): name is string => owns(principal.tenant, name)))
    if (!tenantClause) return jsonResponse({ totalHits: 0, results: [] })
    conditions.push(tenantClause)
    if (!principal.isAdmin) {
      const owner = ownerCondition(principal.user)
      if (owner) conditions.push(owner)
    }
    const params = new URLSearchParams({
      start: String(start),
      size: String(size),
      freeText,
      query: conditions.join(' AND '),
    })
    if (sort) params.set('sort', sort)
    const result = await callJson(c, gateway, { path: '/api/workflow/search', query: params })
    if (!result.ok) return result.response
    const body = isObject(result.body) ? result.body : {}
    const hits = Array.isArray(body.results) ? body.results : []
    const visible = hits.filter((hit) => executionVisibleTo(principal, hit))
    const totalHits =
      typeof body.totalHits === 'number' ? body.totalHits - (hits.length - visible.length) : visible.length
    return jsonResponse({
      totalHits: Math.max(totalHits, visible.length),
      results: visible.map((hit) => stripExecution(hit, principal.tenant)),
    })
  })

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
