/** @module Workflow definitions: list, get, create, update, delete — tenant-prefixed and label-checked. */
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import type { Principal } from '../identity/principal.ts'
import { principalOf } from '../identity/principal.ts'
import { forbidden, requireAdmin } from '../middleware/rbac.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse, parseEngineJson, passThrough, readBoundedBytes } from '../proxy/json-rewrite.ts'
import {
  BODY_UNREADABLE,
  WORKFLOW_DEF_EXISTS,
  WORKFLOW_DEF_MISSING,
  WORKFLOW_DEF_MISSING_ON_DELETE,
} from '../proxy/upstream-errors.ts'
import { defVisibleTo } from '../tenancy/labels.ts'
import { prefix, strip } from '../tenancy/naming.ts'
import { stripDef, tenantizeDef } from '../tenancy/workflow-def.ts'
import { isObject } from '../tenancy/workflow-tasks.ts'
import {
  callJson,
  forwardScrubbed,
  type GatewayContext,
  jsonBody,
  notFound,
  rulesFor,
  segment,
} from './context.ts'
import { documentGateway } from './docs.ts'
import { RewriteMemo } from './rewrite-memo.ts'

const versionQuery = z.object({
  version: z
    .string()
    .regex(/^\d{1,9}$/, 'expected a version number')
    .optional(),
})

export function metadataWorkflowRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  const admin = requireAdmin({ denyStatus: gateway.denyStatus })

  documentGateway(openapi, 'get', '/metadata/workflow', 'List the workflow definitions visible to the caller')
  // The list is the one large answer read on every page load: its rewrite is remembered per
  // kind of caller while the engine keeps answering the same bytes (lib/rewrite-memo.ts).
  const listMemo = new RewriteMemo({ maxViews: 32, maxBytes: 16 * 1024 * 1024 })
  app.get('/metadata/workflow', async (c) => {
    const principal = principalOf(c)
    const response = await gateway.upstream.call(c, {
      path: '/api/metadata/workflow',
      readWhole: gateway.rewriteLimit,
    })
    if (!response.ok) return passThrough(response, principal.tenant, gateway.rewriteLimit)
    const source = await readBoundedBytes(response, gateway.rewriteLimit)
    const body = listMemo.rewrite(source, viewKey(principal), () => {
      const parsed = parseEngineJson(new TextDecoder().decode(source))
      const visible = (Array.isArray(parsed) ? parsed : [])
        .map((def) => stripDef(def, principal.tenant))
        .filter((def) => def !== undefined && defVisibleTo(principal, def.description))
      return new TextEncoder().encode(JSON.stringify(visible))
    })
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })
  })

  documentGateway(
    openapi,
    'get',
    '/metadata/workflow/names-and-versions',
    'Names and versions of the workflow definitions visible to the caller (as the list)'
  )
  // Before `/metadata/workflow/:name`, which would take it for a definition's name.
  app.get('/metadata/workflow/names-and-versions', async (c) => {
    const principal = principalOf(c)
    const result = await callJson(c, gateway, { path: '/api/metadata/workflow/names-and-versions' })
    if (!result.ok) return result.response
    // The summaries carry neither tasks nor description: which names the caller may see (the
    // tenant's own definitions, labelled ones for non-admins) is read from the definitions.
    const defs = await callJson(c, gateway, { path: '/api/metadata/workflow' })
    if (!defs.ok) return defs.response
    const visibleNames = new Set<string>()
    for (const def of Array.isArray(defs.body) ? defs.body : []) {
      const visible = stripDef(def, principal.tenant)
      if (visible && defVisibleTo(principal, visible.description)) visibleNames.add(String(visible.name))
    }
    const answer: Record<string, unknown[]> = {}
    for (const [full, versions] of Object.entries(isObject(result.body) ? result.body : {})) {
      const name = strip(principal.tenant, full)
      if (name === undefined || !visibleNames.has(name)) continue
      answer[name] = (Array.isArray(versions) ? versions : []).map((version) =>
        isObject(version) ? { ...version, name } : version
      )
    }
    return jsonResponse(answer)
  })

  documentGateway(
    openapi,
    'get',
    '/metadata/workflow/:name',
    'Get one workflow definition (latest or ?version=)'
  )
  app.get('/metadata/workflow/:name', async (c) => {
    const principal = principalOf(c)
    const query = parseVersion(c.req.query('version'))
    const name = prefix(principal.tenant, c.req.param('name'), 'name')
    const result = await callJson(c, gateway, { path: `/api/metadata/workflow/${segment(name)}`, query }, [
      WORKFLOW_DEF_MISSING,
    ])
    if (!result.ok) return result.response
    const def = stripDef(result.body, principal.tenant)
    if (!def) throw notFound('workflow definition')
    if (!defVisibleTo(principal, def.description)) {
      throw forbidden(
        gateway.denyStatus,
        'This workflow definition is not labelled for your groups or roles.'
      )
    }
    return jsonResponse(def)
  })

  documentGateway(openapi, 'post', '/metadata/workflow', 'Create a workflow definition (admins)')
  app.post('/metadata/workflow', admin, async (c) => {
    const principal = principalOf(c)
    const def = tenantizeDef(await jsonBody(c), 'body', rulesFor(gateway, principal), principal.user)
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/metadata/workflow', json: def }, [
      WORKFLOW_DEF_EXISTS,
      BODY_UNREADABLE,
    ])
  })

  documentGateway(openapi, 'put', '/metadata/workflow', 'Create or update workflow definitions (admins)')
  app.put('/metadata/workflow', admin, async (c) => {
    const principal = principalOf(c)
    const body = await jsonBody(c)
    if (!Array.isArray(body) || body.length === 0) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [{ where: 'body', message: 'expected a non-empty array of workflow definitions' }],
      })
    }
    const defs = body.map((def, i) =>
      tenantizeDef(def, `body[${i}]`, rulesFor(gateway, principal), principal.user)
    )
    return forwardScrubbed(c, gateway, { method: 'PUT', path: '/api/metadata/workflow', json: defs }, [
      BODY_UNREADABLE,
    ])
  })

  documentGateway(
    openapi,
    'delete',
    '/metadata/workflow/:name/:version',
    'Delete a workflow definition version (admins)'
  )
  app.delete('/metadata/workflow/:name/:version', admin, async (c) => {
    const principal = principalOf(c)
    const name = prefix(principal.tenant, c.req.param('name'), 'name')
    const version = c.req.param('version')
    if (!/^\d{1,9}$/.test(version)) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [{ where: 'version', message: 'expected a version number' }],
      })
    }
    return forwardScrubbed(
      c,
      gateway,
      { method: 'DELETE', path: `/api/metadata/workflow/${segment(name)}/${version}` },
      [WORKFLOW_DEF_MISSING_ON_DELETE]
    )
  })
  return app
}

/** `?version=` as Conductor wants it, validated. */
export function parseVersion(version: string | undefined): URLSearchParams {
  const parsed = versionQuery.safeParse({ version })
  if (!parsed.success) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: 'version', message: 'expected a version number' }],
    })
  }
  return parsed.data.version === undefined
    ? new URLSearchParams()
    : new URLSearchParams({ version: parsed.data.version })
}

/**
 * Everything besides the engine's answer that decides which definitions a caller sees, and how:
 * the tenant, and for non-admins the groups and roles their labels are matched against.
 */
function viewKey(principal: Principal): string {
  if (principal.isAdmin) return JSON.stringify([principal.tenant, true])
  return JSON.stringify([principal.tenant, false, [...principal.groups].sort(), [...principal.roles].sort()])
}
