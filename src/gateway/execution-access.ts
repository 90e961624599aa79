/** @module Fetches an execution and checks the caller may act on it; another tenant's or user's is a 404. */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import { readJson } from '../proxy/json-rewrite.ts'
import { executionVisibleTo } from '../tenancy/execution.ts'
import type { JsonObject } from '../tenancy/workflow-tasks.ts'
import { type GatewayContext, notFound, segment } from './context.ts'

/** Conductor workflow ids are UUIDs; anything else never reaches it. */
export const WORKFLOW_ID = '[A-Za-z0-9-]{1,64}'
const ID = new RegExp(`^${WORKFLOW_ID}$`)

export async function fetchExecution(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  id: string,
  includeTasks: boolean
): Promise<JsonObject> {
  if (!ID.test(id)) throw notFound('workflow execution')
  const response = await gateway.upstream.call(c, {
    path: `/api/workflow/${segment(id)}`,
    query: new URLSearchParams({ includeTasks: String(includeTasks) }),
  })
  if (!response.ok) {
    await response.body?.cancel()
    if (response.status >= 502) throw new AppError('FG_ERR_UPSTREAM_UNAVAILABLE')
    // Unknown ids answer 404 (500 on some Conductor versions): never say more than "not found".
    throw notFound('workflow execution')
  }
  const execution = await readJson(response, gateway.rewriteLimit)
  if (!executionVisibleTo(principalOf(c), execution)) throw notFound('workflow execution')
  return execution
}
