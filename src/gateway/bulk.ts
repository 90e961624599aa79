/** @module Bulk operations on executions: every id is checked on its own before anything is forwarded. */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse, passThrough, readJson, scrubTenant } from '../proxy/json-rewrite.ts'
import { isObject } from '../tenancy/workflow-tasks.ts'
import { type GatewayContext, jsonBody } from './context.ts'
import { documentGateway } from './docs.ts'
import { fetchExecution, WORKFLOW_ID } from './execution-access.ts'

const OPERATIONS: Array<{ method: 'put' | 'post' | 'delete'; op: string; forwardAs?: 'POST' }> = [
  { method: 'put', op: 'pause' },
  { method: 'put', op: 'resume' },
  { method: 'post', op: 'restart' },
  { method: 'post', op: 'retry' },
  { method: 'post', op: 'terminate' },
  // The original UI sent DELETE for terminate; Conductor 3.x takes POST.
  { method: 'delete', op: 'terminate', forwardAs: 'POST' },
]
const ID = new RegExp(`^${WORKFLOW_ID}$`)
const MAX_IDS = 1_000
/** Executions read at once while checking a bulk request (each may be large). */
const CHECKS_AT_ONCE = 16

/** Promise.allSettled over `items`, at most `size` at a time, results in order. */
async function settleInBatches<T, R>(
  items: readonly T[],
  size: number,
  run: (item: T) => Promise<R>
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = []
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.allSettled(items.slice(i, i + size).map(run))))
  }
  return results
}
const PASSED_QUERY = ['reason', 'useLatestDefinitions']

export function bulkRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  for (const { method, op, forwardAs } of OPERATIONS) {
    documentGateway(openapi, method, `/workflow/bulk/${op}`, `Bulk ${op} of the caller's executions`)
    app.on(method.toUpperCase(), `/workflow/bulk/${op}`, async (c) => {
      const body = await jsonBody(c)
      if (!Array.isArray(body) || body.length === 0 || body.length > MAX_IDS) {
        throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
          errors: [{ where: 'body', message: `expected an array of 1-${MAX_IDS} workflow ids` }],
        })
      }
      body.forEach((id, i) => {
        if (typeof id !== 'string' || !ID.test(id)) {
          throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
            errors: [{ where: `body[${i}]`, message: 'not a workflow id' }],
          })
        }
      })
      const ids = [...new Set(body as string[])]
      const checks = await settleInBatches(ids, CHECKS_AT_ONCE, (id) => fetchExecution(c, gateway, id, false))
      // An engine that is down or too slow is a 502/504, not "every id not found".
      const failure = checks.find(
        (check) =>
          check.status === 'rejected' && !(check.reason instanceof AppError && check.reason.status < 500)
      )
      if (failure?.status === 'rejected') throw failure.reason
      const allowed = ids.filter((_, i) => checks[i]?.status === 'fulfilled')
      const refused = Object.fromEntries(
        ids.filter((_, i) => checks[i]?.status === 'rejected').map((id) => [id, 'Not found'])
      )
      if (allowed.length === 0) return jsonResponse({ bulkSuccessfulResults: [], bulkErrorResults: refused })
      const query = new URLSearchParams()
      for (const name of PASSED_QUERY) {
        const value = c.req.query(name)
        if (value !== undefined) query.set(name, value.slice(0, 500))
      }
      const response = await gateway.upstream.call(c, {
        method: forwardAs ?? method.toUpperCase(),
        path: `/api/workflow/bulk/${op}`,
        query,
        json: allowed,
      })
      const { tenant } = principalOf(c)
      // Conductor's own errors pass through scrubbed, like on every other route.
      if (!response.ok) return passThrough(response, tenant, gateway.rewriteLimit)
      const answer = await readJson(response, gateway.rewriteLimit)
      const upstream = isObject(answer) ? answer : {}
      const errors = isObject(upstream.bulkErrorResults) ? upstream.bulkErrorResults : {}
      return jsonResponse({
        bulkSuccessfulResults: Array.isArray(upstream.bulkSuccessfulResults)
          ? upstream.bulkSuccessfulResults
          : [],
        bulkErrorResults: {
          ...Object.fromEntries(
            Object.entries(errors).map(([id, why]) => [
              id,
              typeof why === 'string' ? scrubTenant(why, tenant) : why,
            ])
          ),
          ...refused,
        },
      })
    })
  }
  return app
}
