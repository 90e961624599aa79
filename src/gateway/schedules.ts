/**
 * @module Schedules (admins), forwarded to a schellar-compatible service (`scheduler.url`,
 * SCHELLAR_TARGET) under `/proxy/schedule` and `/api/schedules`: a schedule is named
 * `<workflow>:<version>`, stored as `T___<workflow>:<version>`, and always starts its workflow in the
 * tenant domain as the user who saved it (reference/conductor-gateway.md §b.10).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import type { Principal } from '../identity/principal.ts'
import { principalOf } from '../identity/principal.ts'
import { requireAdmin } from '../middleware/rbac.ts'
import type { ScheduleStore } from '../module.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import type { Upstream } from '../proxy/forward.ts'
import { jsonResponse, passThrough, readJson } from '../proxy/json-rewrite.ts'
import { assertName, owns, prefix, strip } from '../tenancy/naming.ts'
import { isObject, type JsonObject } from '../tenancy/workflow-tasks.ts'
import type { GatewayContext } from './context.ts'
import { jsonBody } from './context.ts'

export interface ScheduleOptions {
  /** Asked on every request: schellar's URL, or a schedules module that replaced it in-process. */
  store: ScheduleStore
  gateway: GatewayContext
}

const SCHEDULE_NAME = /^([^:]+):(\d{1,9})$/

function badRequest(where: string, message: string): AppError {
  return new AppError('FG_ERR_HTTP_BAD_REQUEST', { errors: [{ where, message }] })
}

/** `wf:1` → `T___wf:1`, checking both parts. */
function prefixScheduleName(tenant: string, name: unknown, where: string): string {
  const match = typeof name === 'string' ? SCHEDULE_NAME.exec(name) : null
  if (!match?.[1] || !match[2])
    throw badRequest(where, 'a schedule is named <workflowName>:<workflowVersion>')
  return `${prefix(tenant, match[1], where)}:${match[2]}`
}

function tenantizeSchedule(body: unknown, principal: Principal, urlName?: string): JsonObject {
  if (!isObject(body)) throw badRequest('body', 'expected a schedule object')
  const workflowName = assertName(body.workflowName, 'body.workflowName')
  const version = String(body.workflowVersion ?? '')
  if (!/^\d{1,9}$/.test(version)) throw badRequest('body.workflowVersion', 'expected a version number')
  if (body.name !== `${workflowName}:${version}`) {
    throw badRequest('body.name', 'must be <workflowName>:<workflowVersion>')
  }
  if (urlName !== undefined && urlName !== body.name)
    throw badRequest('body.name', 'must equal the name in the URL')
  if (body.taskToDomain !== undefined) {
    throw new AppError('FG_ERR_GATEWAY_FIELD_FORBIDDEN', {
      errors: [{ where: 'body.taskToDomain', message: 'schedules run in the tenant domain' }],
    })
  }
  return {
    ...body,
    name: prefixScheduleName(principal.tenant, body.name, 'body.name'),
    workflowName: prefix(principal.tenant, workflowName, 'body.workflowName'),
    workflowVersion: version,
    correlationId: principal.user,
    taskToDomain: { '*': principal.tenant },
  }
}

function stripSchedule(schedule: unknown, tenant: string): JsonObject | undefined {
  if (!isObject(schedule) || !owns(tenant, schedule.name) || !owns(tenant, schedule.workflowName))
    return undefined
  const { taskToDomain: _domain, ...rest } = schedule
  return { ...rest, name: strip(tenant, schedule.name), workflowName: strip(tenant, schedule.workflowName) }
}

export function scheduleRoutes(
  options: ScheduleOptions,
  openapi: OpenApiRegistry,
  base: string
): Hono<AppEnv> {
  const { gateway } = options
  const app = new Hono<AppEnv>()
  const limit = gateway.rewriteLimit
  app.use('*', requireAdmin({ denyStatus: gateway.denyStatus }))
  app.use('*', async (_c, next) => {
    if (!options.store.current()) {
      throw new AppError('FG_ERR_SCHEDULER_NOT_CONFIGURED', {
        detail: 'Set scheduler.url (SCHELLAR_TARGET).',
      })
    }
    await next()
  })
  const scheduler = () => options.store.current() as Upstream
  const doc = (method: 'get' | 'post' | 'put' | 'delete', path: string, summary: string) =>
    openapi.add({
      method,
      path: `${base}${path}`,
      summary,
      tags: ['schedules'],
      responses: { 200: { description: 'What the scheduler answers, with tenant prefixes removed' } },
    })

  doc('get', '', "List the tenant's schedules (admins)")
  app.get('/', async (c) => {
    const { tenant } = principalOf(c)
    const response = await scheduler().call(c, { path: '/schedule' })
    if (!response.ok) return passThrough(response, tenant, limit)
    const list = await readJson(response, limit)
    return jsonResponse(
      (Array.isArray(list) ? list : []).map((s) => stripSchedule(s, tenant)).filter((s) => s)
    )
  })

  doc('post', '', 'Create a schedule (admins)')
  app.post('/', async (c) => {
    const principal = principalOf(c)
    const schedule = tenantizeSchedule(await jsonBody(c), principal)
    const response = await scheduler().call(c, { method: 'POST', path: '/schedule', json: schedule })
    return passThrough(response, principal.tenant, limit)
  })

  doc('get', '/:name', 'Get a schedule (admins)')
  app.get('/:name', async (c) => {
    const { tenant } = principalOf(c)
    const name = prefixScheduleName(tenant, c.req.param('name'), 'name')
    const response = await scheduler().call(c, { path: `/schedule/${encodeURIComponent(name)}` })
    if (!response.ok) return passThrough(response, tenant, limit)
    const schedule = stripSchedule(await readJson(response, limit), tenant)
    if (!schedule) throw new AppError('FG_ERR_GATEWAY_NOT_FOUND', { detail: 'No such schedule.' })
    return jsonResponse(schedule)
  })

  doc('put', '/:name', 'Update a schedule (admins)')
  app.put('/:name', async (c) => {
    const principal = principalOf(c)
    const urlName = c.req.param('name')
    const name = prefixScheduleName(principal.tenant, urlName, 'name')
    const schedule = tenantizeSchedule(await jsonBody(c), principal, urlName)
    const response = await scheduler().call(c, {
      method: 'PUT',
      path: `/schedule/${encodeURIComponent(name)}`,
      json: schedule,
    })
    return passThrough(response, principal.tenant, limit)
  })

  doc('delete', '/:name', 'Delete a schedule (admins)')
  app.delete('/:name', async (c) => {
    const { tenant } = principalOf(c)
    const name = prefixScheduleName(tenant, c.req.param('name'), 'name')
    const response = await scheduler().call(c, {
      method: 'DELETE',
      path: `/schedule/${encodeURIComponent(name)}`,
    })
    return passThrough(response, tenant, limit)
  })
  return app
}
