/**
 * @module Event handlers (admins): names prefixed; only `conductor:<workflow>:<ref>` events, whose
 * workflow is prefixed; only start_workflow actions, forced into the tenant domain. Other events
 * and actions could reach other tenants' workflows, so they are refused (the original let them through).
 */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import type { Principal } from '../identity/principal.ts'
import { principalOf } from '../identity/principal.ts'
import { requireAdmin } from '../middleware/rbac.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse } from '../proxy/json-rewrite.ts'
import { BODY_UNREADABLE, EVENT_HANDLER_EXISTS, EVENT_HANDLER_MISSING } from '../proxy/upstream-errors.ts'
import { owns, prefix, strip } from '../tenancy/naming.ts'
import { isObject, type JsonObject } from '../tenancy/workflow-tasks.ts'
import { callJson, forwardScrubbed, type GatewayContext, jsonBody, segment } from './context.ts'
import { documentGateway } from './docs.ts'

function refuse(where: string, message: string): AppError {
  return new AppError('FG_ERR_GATEWAY_FIELD_FORBIDDEN', { errors: [{ where, message }] })
}

function tenantizeHandler(body: unknown, principal: Principal): JsonObject {
  if (!isObject(body)) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: 'body', message: 'expected an event handler object' }],
    })
  }
  const { tenant, user } = principal
  const parts = typeof body.event === 'string' ? body.event.split(':') : []
  if (parts.length !== 3 || parts[0] !== 'conductor') {
    throw refuse('body.event', 'only conductor:<workflow>:<taskReference> events can be confined to a tenant')
  }
  const event = `conductor:${prefix(tenant, parts[1], 'body.event')}:${parts[2]}`
  const actions = Array.isArray(body.actions) ? body.actions : []
  const confined = actions.map((action, i) => {
    if (!isObject(action) || action.action !== 'start_workflow' || !isObject(action.start_workflow)) {
      throw refuse(`body.actions[${i}]`, 'only start_workflow actions are allowed')
    }
    const start = action.start_workflow
    if (start.taskToDomain !== undefined)
      throw refuse(`body.actions[${i}].start_workflow.taskToDomain`, 'set by the gateway')
    return {
      ...action,
      start_workflow: {
        ...start,
        name: prefix(tenant, start.name, `body.actions[${i}].start_workflow.name`),
        taskToDomain: { '*': tenant },
        correlationId: user,
      },
    }
  })
  return { ...body, name: prefix(tenant, body.name, 'body.name'), event, actions: confined }
}

function stripHandler(handler: unknown, tenant: string): JsonObject | undefined {
  if (!isObject(handler) || !owns(tenant, handler.name)) return undefined
  const out: JsonObject = { ...handler, name: strip(tenant, handler.name) }
  if (typeof handler.event === 'string') out.event = handler.event.split(`${tenant}___`).join('')
  if (Array.isArray(handler.actions)) {
    out.actions = handler.actions.map((action) =>
      isObject(action) && isObject(action.start_workflow)
        ? {
            ...action,
            start_workflow: { ...action.start_workflow, name: strip(tenant, action.start_workflow.name) },
          }
        : action
    )
  }
  return out
}

export function eventRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('/event', requireAdmin({ denyStatus: gateway.denyStatus }))
  app.use('/event/*', requireAdmin({ denyStatus: gateway.denyStatus }))

  documentGateway(openapi, 'get', '/event', "List the tenant's event handlers (admins)")
  app.get('/event', async (c) => {
    const { tenant } = principalOf(c)
    const result = await callJson(c, gateway, { path: '/api/event' })
    if (!result.ok) return result.response
    const handlers = Array.isArray(result.body) ? result.body : []
    return jsonResponse(
      handlers.map((handler) => stripHandler(handler, tenant)).filter((h) => h !== undefined)
    )
  })

  for (const method of ['post', 'put'] as const) {
    documentGateway(
      openapi,
      method,
      '/event',
      `${method === 'post' ? 'Add' : 'Update'} an event handler (admins)`
    )
    app.on(method.toUpperCase(), '/event', async (c) => {
      const handler = tenantizeHandler(await jsonBody(c), principalOf(c))
      return forwardScrubbed(
        c,
        gateway,
        { method: method.toUpperCase(), path: '/api/event', json: handler },
        // Adding one that exists, or updating one that does not, is the caller's mistake.
        [method === 'post' ? EVENT_HANDLER_EXISTS : EVENT_HANDLER_MISSING, BODY_UNREADABLE]
      )
    })
  }

  documentGateway(openapi, 'delete', '/event/:name', "Remove one of the tenant's event handlers (admins)")
  app.delete('/event/:name', async (c) => {
    const name = prefix(principalOf(c).tenant, c.req.param('name'), 'name')
    return forwardScrubbed(c, gateway, { method: 'DELETE', path: `/api/event/${segment(name)}` }, [
      EVENT_HANDLER_MISSING,
    ])
  })
  return app
}
