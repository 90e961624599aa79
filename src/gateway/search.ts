/**
 * @module Execution search confined to the tenant (and, for non-admins, to the caller), plus a
 * top-level-only variant: sub-workflows inherit their parent's correlationId, so they are told
 * apart by reading each hit's parentWorkflowId (the index back-ends cannot filter on it alike).
 */
import type { Context } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import { jsonResponse, readJson } from '../proxy/json-rewrite.ts'
import { SEARCH_REFUSALS } from '../proxy/upstream-errors.ts'
import { executionVisibleTo, stripExecution } from '../tenancy/execution.ts'
import { owns } from '../tenancy/naming.ts'
import { clientConditions, ownerCondition, tenantCondition } from '../tenancy/search-query.ts'
import { isObject, type JsonObject } from '../tenancy/workflow-tasks.ts'
import { callJson, type GatewayContext, segment } from './context.ts'

const searchSchema = z.object({
  start: z.coerce.number().int().min(0).max(100_000).default(0),
  size: z.coerce.number().int().min(1).max(5_000).default(100),
  // An empty `sort=` (the JS SDK always sends one) means no order, as Conductor reads it.
  sort: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z
      .string()
      .max(200)
      .regex(/^[A-Za-z]+(:(ASC|DESC))?(,[A-Za-z]+(:(ASC|DESC))?)*$/)
      .optional()
  ),
  freeText: z.string().max(1_000).default('*'),
  query: z.string().max(4_000).optional(),
})

/** Longest tenant condition sent: Conductor's HTTP request line is limited (8 KiB by default). */
const MAX_CONDITION_LENGTH = 6_000

/** Largest page of the top-level search: each hit costs one read of its execution. */
export const TOP_LEVEL_MAX_SIZE = 200

/** Runs a confined search and answers `{ totalHits, results }`, de-prefixed. */
export async function searchExecutions(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  options: { topLevelOnly: boolean }
): Promise<Response> {
  const principal = principalOf(c)
  const parsed = searchSchema.safeParse(c.req.query())
  if (!parsed.success) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: parsed.error.issues.map((issue) => ({ where: issue.path.join('.'), message: issue.message })),
    })
  }
  const { start, size, sort, freeText, query } = parsed.data
  if (options.topLevelOnly && size > TOP_LEVEL_MAX_SIZE) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: 'size', message: `at most ${TOP_LEVEL_MAX_SIZE} for a top-level search` }],
    })
  }
  const conditions = clientConditions(query, principal.tenant)
  // The client's own workflowType = / IN condition names only the tenant's (prefixed) workflows:
  // it confines the search by itself, and keeps the query short for tenants with many definitions.
  if (!conditions.some((condition) => /^workflowType (=|IN) /.test(condition))) {
    const defs = await callJson(c, gateway, { path: '/api/metadata/workflow' })
    if (!defs.ok) return defs.response
    const names = new Set(
      (Array.isArray(defs.body) ? defs.body : []).map((def) => (isObject(def) ? def.name : undefined))
    )
    const tenantClause = tenantCondition(
      [...names].filter((name): name is string => owns(principal.tenant, name))
    )
    if (!tenantClause) return jsonResponse({ totalHits: 0, results: [] })
    if (tenantClause.length > MAX_CONDITION_LENGTH) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [
          {
            where: 'query',
            message: 'too many workflow definitions to search at once: add workflowType IN (…)',
          },
        ],
      })
    }
    conditions.push(tenantClause)
  }
  // Without an owner condition the index would count other users' executions: count only what is shown.
  let exactCount = true
  if (!principal.isAdmin) {
    const owner = ownerCondition(principal.user)
    if (owner) conditions.push(owner)
    else exactCount = false
  }
  const params = new URLSearchParams({
    start: String(start),
    size: String(size),
    freeText,
    query: conditions.join(' AND '),
  })
  if (sort) params.set('sort', sort)
  const result = await callJson(c, gateway, { path: '/api/workflow/search', query: params }, SEARCH_REFUSALS)
  if (!result.ok) return result.response
  const body = isObject(result.body) ? result.body : {}
  const hits = Array.isArray(body.results) ? body.results : []
  let visible = hits.filter((hit) => executionVisibleTo(principal, hit))
  if (options.topLevelOnly) visible = await topLevel(c, gateway, visible)
  const dropped = hits.length - visible.length
  const totalHits =
    exactCount && typeof body.totalHits === 'number' ? body.totalHits - dropped : visible.length
  return jsonResponse({
    totalHits: Math.max(totalHits, visible.length),
    results: visible.map((hit) => stripExecution(hit, principal.tenant)),
  })
}

/** Keeps the hits that have no parent workflow. */
async function topLevel(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  hits: JsonObject[]
): Promise<JsonObject[]> {
  const parents = await Promise.all(
    hits.map(async (hit) => {
      const response = await gateway.upstream.call(c, {
        path: `/api/workflow/${segment(String(hit.workflowId))}`,
        query: new URLSearchParams({ includeTasks: 'false' }),
      })
      if (!response.ok) {
        await response.body?.cancel()
        return 'unknown'
      }
      const execution = await readJson(response, gateway.rewriteLimit)
      return isObject(execution) &&
        typeof execution.parentWorkflowId === 'string' &&
        execution.parentWorkflowId !== ''
        ? 'child'
        : 'top'
    })
  )
  return hits.filter((_, i) => parents[i] === 'top')
}
