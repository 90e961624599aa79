/** @module Endpoints Conductor lacks: an execution with all its sub-workflows, and whether the caller may edit definitions. */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { principalOf } from '../identity/principal.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse } from '../proxy/json-rewrite.ts'
import { stripExecution } from '../tenancy/execution.ts'
import { isObject, type JsonObject } from '../tenancy/workflow-tasks.ts'
import type { GatewayContext } from './context.ts'
import { documentGateway } from './docs.ts'
import { fetchExecution } from './execution-access.ts'

/** Bounds on one family walk, so a pathological tree cannot make the gateway loop. */
const MAX_WORKFLOWS = 200
const MAX_DEPTH = 16

interface FamilyMember {
  parentWorkflowId: string
  parentTaskReferenceName: string
  depth: number
  workflow: JsonObject
}

export function extraRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()

  documentGateway(
    openapi,
    'get',
    '/workflow/:workflowId/family',
    'An execution with all its sub-workflows, recursively'
  )
  app.get('/workflow/:workflowId/family', async (c) => {
    const { tenant } = principalOf(c)
    const root = await fetchExecution(c, gateway, c.req.param('workflowId'), true)
    const members: FamilyMember[] = []
    const seen = new Set([String(root.workflowId)])
    let frontier: Array<{ workflow: JsonObject; depth: number }> = [{ workflow: root, depth: 0 }]
    let truncated = false
    while (frontier.length > 0) {
      const next: typeof frontier = []
      const children = frontier.flatMap(({ workflow, depth }) =>
        (Array.isArray(workflow.tasks) ? workflow.tasks : [])
          .filter((task): task is JsonObject => isObject(task) && typeof task.subWorkflowId === 'string')
          .map((task) => ({ parent: workflow, task, depth: depth + 1 }))
      )
      for (const { parent, task, depth } of children) {
        const id = String(task.subWorkflowId)
        if (seen.has(id)) continue
        if (depth > MAX_DEPTH || seen.size >= MAX_WORKFLOWS) {
          truncated = true
          continue
        }
        seen.add(id)
        try {
          const workflow = await fetchExecution(c, gateway, id, true)
          members.push({
            parentWorkflowId: String(parent.workflowId),
            parentTaskReferenceName: String(task.referenceTaskName ?? ''),
            depth,
            workflow,
          })
          next.push({ workflow, depth })
        } catch {
          // A sub-workflow the caller may not see is left out, like any other foreign execution.
        }
      }
      frontier = next
    }
    return jsonResponse({
      workflow: stripExecution(root, tenant),
      subWorkflows: members.map((member) => ({
        ...member,
        workflow: stripExecution(member.workflow, tenant),
      })),
      truncated,
    })
  })

  return app
}

/** `GET /proxy/editableworkflows`: the original's "is admin" boolean. */
export function editableRoute(openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  openapi.add({
    method: 'get',
    path: '/proxy/editableworkflows',
    summary: 'Whether the caller may edit workflow definitions (is an admin)',
    tags: ['conductor'],
    responses: { 200: { description: 'true or false' } },
  })
  app.get('/editableworkflows', (c) => jsonResponse(principalOf(c).isAdmin))
  return app
}
