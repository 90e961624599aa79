/** @module Task definitions (admins only): the tenant's own, plus shared GLOBAL___ ones read-only. */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import { requireAdmin } from '../middleware/rbac.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse } from '../proxy/json-rewrite.ts'
import {
  BODY_UNREADABLE,
  TASK_DEF_MISSING,
  TASK_DEF_MISSING_ON_DELETE,
  TASK_DEF_MISSING_ON_UPDATE,
} from '../proxy/upstream-errors.ts'
import { isGlobalName, prefix, strip } from '../tenancy/naming.ts'
import { isObject, type JsonObject } from '../tenancy/workflow-tasks.ts'
import { callJson, forwardScrubbed, type GatewayContext, jsonBody, notFound, segment } from './context.ts'
import { documentGateway } from './docs.ts'

function tenantizeTaskDef(def: unknown, where: string, tenant: string, owner: string): JsonObject {
  if (!isObject(def)) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where, message: 'expected a task definition object' }],
    })
  }
  return { ...def, name: prefix(tenant, def.name, `${where}.name`), ownerEmail: owner }
}

function stripTaskDef(def: unknown, tenant: string): JsonObject | undefined {
  if (!isObject(def)) return undefined
  const name = strip(tenant, def.name, true)
  return name === undefined ? undefined : { ...def, name }
}

export function taskDefRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('/metadata/taskdefs', requireAdmin({ denyStatus: gateway.denyStatus }))
  app.use('/metadata/taskdefs/*', requireAdmin({ denyStatus: gateway.denyStatus }))

  documentGateway(
    openapi,
    'get',
    '/metadata/taskdefs',
    "List the tenant's and the shared task definitions (admins)"
  )
  app.get('/metadata/taskdefs', async (c) => {
    const { tenant } = principalOf(c)
    const result = await callJson(c, gateway, { path: '/api/metadata/taskdefs' })
    if (!result.ok) return result.response
    const defs = Array.isArray(result.body) ? result.body : []
    return jsonResponse(defs.map((def) => stripTaskDef(def, tenant)).filter((def) => def !== undefined))
  })

  documentGateway(
    openapi,
    'post',
    '/metadata/taskdefs',
    'Register task definitions (admins; body is an array)'
  )
  app.post('/metadata/taskdefs', async (c) => {
    const { tenant, user } = principalOf(c)
    const body = await jsonBody(c)
    if (!Array.isArray(body) || body.length === 0) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [{ where: 'body', message: 'expected a non-empty array of task definitions' }],
      })
    }
    const defs = body.map((def, i) => tenantizeTaskDef(def, `body[${i}]`, tenant, user))
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/metadata/taskdefs', json: defs }, [
      BODY_UNREADABLE,
    ])
  })

  documentGateway(
    openapi,
    'put',
    '/metadata/taskdefs',
    'Update a task definition (admins; body is one object)'
  )
  app.put('/metadata/taskdefs', async (c) => {
    const { tenant, user } = principalOf(c)
    const def = tenantizeTaskDef(await jsonBody(c), 'body', tenant, user)
    return forwardScrubbed(c, gateway, { method: 'PUT', path: '/api/metadata/taskdefs', json: def }, [
      TASK_DEF_MISSING_ON_UPDATE,
      BODY_UNREADABLE,
    ])
  })

  documentGateway(openapi, 'get', '/metadata/taskdefs/:name', 'Get a task definition (admins)')
  app.get('/metadata/taskdefs/:name', async (c) => {
    const { tenant } = principalOf(c)
    const asked = c.req.param('name')
    const name = isGlobalName(asked) ? prefix(tenant, asked, 'name', true) : prefix(tenant, asked, 'name')
    const result = await callJson(c, gateway, { path: `/api/metadata/taskdefs/${segment(name)}` }, [
      TASK_DEF_MISSING,
    ])
    if (!result.ok) return result.response
    const def = stripTaskDef(result.body, tenant)
    if (!def) throw notFound('task definition')
    return jsonResponse(def)
  })

  documentGateway(
    openapi,
    'delete',
    '/metadata/taskdefs/:name',
    "Delete one of the tenant's task definitions (admins)"
  )
  app.delete('/metadata/taskdefs/:name', async (c) => {
    const { tenant } = principalOf(c)
    const name = prefix(tenant, c.req.param('name'), 'name')
    return forwardScrubbed(
      c,
      gateway,
      { method: 'DELETE', path: `/api/metadata/taskdefs/${segment(name)}` },
      [TASK_DEF_MISSING_ON_DELETE]
    )
  })
  return app
}
