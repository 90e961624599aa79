/** @module Task execution for admins: polls in the tenant domain, reads, updates and logs of the tenant's tasks, queue sizes. */
import { type Context, Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { principalOf } from '../identity/principal.ts'
import { requireAdmin } from '../middleware/rbac.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { jsonResponse, readJson } from '../proxy/json-rewrite.ts'
import { BODY_UNREADABLE } from '../proxy/upstream-errors.ts'
import { stripTask } from '../tenancy/execution.ts'
import { owns, prefix, SEPARATOR } from '../tenancy/naming.ts'
import { tenantizeTasks } from '../tenancy/workflow-def.ts'
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

const TASK_ID = /^[A-Za-z0-9-]{1,64}$/
/** Conductor keeps log lines in its database: a line is bounded like any other input. */
const MAX_LOG_CHARS = 64 * 1024

function pollQuery(c: Context<AppEnv>, tenant: string, batch: boolean): URLSearchParams {
  const query = new URLSearchParams()
  const worker = c.req.query('workerid')
  if (worker !== undefined) query.set('workerid', worker.slice(0, 200))
  if (batch) {
    const count = Number(c.req.query('count') ?? '1')
    const timeout = Number(c.req.query('timeout') ?? '100')
    if (
      !Number.isInteger(count) ||
      count < 1 ||
      count > 1_000 ||
      !Number.isInteger(timeout) ||
      timeout < 0 ||
      timeout > 60_000
    ) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', { detail: 'count is 1-1000 and timeout 0-60000 ms.' })
    }
    query.set('count', String(count))
    query.set('timeout', String(timeout))
  }
  // A client-supplied domain is ignored: the tenant's domain is the only one it may poll.
  query.set('domain', tenant)
  return query
}

/** Checks a task id belongs to the tenant (by its workflow type) and returns the task. */
async function assertOwnTask(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  taskId: string
): Promise<Record<string, unknown>> {
  if (!TASK_ID.test(taskId)) throw notFound('task')
  const response = await gateway.upstream.call(c, { path: `/api/tasks/${segment(taskId)}` })
  if (response.status >= 502) {
    await response.body?.cancel()
    throw new AppError('FG_ERR_UPSTREAM_UNAVAILABLE')
  }
  const task = response.ok ? await readJson(response, gateway.rewriteLimit) : await response.body?.cancel()
  if (!isObject(task) || !owns(principalOf(c).tenant, task.workflowType)) throw notFound('task')
  return task
}

export function taskRoutes(gateway: GatewayContext, openapi: OpenApiRegistry): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use('/tasks/*', requireAdmin({ denyStatus: gateway.denyStatus }))
  app.use('/tasks', requireAdmin({ denyStatus: gateway.denyStatus }))

  documentGateway(
    openapi,
    'get',
    '/tasks/poll/batch/:taskType',
    'Poll a batch of tasks in the tenant domain (admins)'
  )
  app.get('/tasks/poll/batch/:taskType', async (c) => {
    const { tenant } = principalOf(c)
    const type = prefix(tenant, c.req.param('taskType'), 'taskType')
    const result = await callJson(c, gateway, {
      path: `/api/tasks/poll/batch/${segment(type)}`,
      query: pollQuery(c, tenant, true),
      timeoutMs: gateway.pollTimeoutMs,
    })
    if (!result.ok) return result.response
    return jsonResponse(
      (Array.isArray(result.body) ? result.body : []).map((task) => stripTask(task, tenant))
    )
  })

  documentGateway(openapi, 'get', '/tasks/poll/:taskType', 'Poll one task in the tenant domain (admins)')
  app.get('/tasks/poll/:taskType', async (c) => {
    const { tenant } = principalOf(c)
    const type = prefix(tenant, c.req.param('taskType'), 'taskType')
    const result = await callJson(c, gateway, {
      path: `/api/tasks/poll/${segment(type)}`,
      query: pollQuery(c, tenant, false),
      timeoutMs: gateway.pollTimeoutMs,
    })
    if (!result.ok) return result.response
    return result.body === undefined ? c.body(null, 204) : jsonResponse(stripTask(result.body, tenant))
  })

  documentGateway(
    openapi,
    'post',
    '/tasks',
    "Update one of the tenant's tasks (dynamic_tasks are confined too)"
  )
  app.post('/tasks', async (c) => {
    const update = await vetUpdate(c, gateway, await jsonBody(c))
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/tasks', json: update }, [
      BODY_UNREADABLE,
    ])
  })

  documentGateway(
    openapi,
    'post',
    '/tasks/update-v2',
    "Update one of the tenant's tasks as POST /tasks; answers the next task of its queue"
  )
  app.post('/tasks/update-v2', async (c) => {
    const update = await vetUpdate(c, gateway, await jsonBody(c))
    return forwardScrubbed(c, gateway, { method: 'POST', path: '/api/tasks/update-v2', json: update }, [
      BODY_UNREADABLE,
    ])
  })

  documentGateway(openapi, 'get', '/tasks/:taskId/log', "Logs of one of the tenant's tasks")
  app.get('/tasks/:taskId/log', async (c) => {
    const taskId = c.req.param('taskId')
    await assertOwnTask(c, gateway, taskId)
    return forwardScrubbed(c, gateway, { path: `/api/tasks/${segment(taskId)}/log` })
  })

  documentGateway(openapi, 'post', '/tasks/:taskId/log', "Add a log line to one of the tenant's tasks")
  app.post('/tasks/:taskId/log', async (c) => {
    const taskId = c.req.param('taskId')
    const line = await c.req.text()
    if (line.length > MAX_LOG_CHARS) {
      throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
        errors: [{ where: 'body', message: `a log line is at most ${MAX_LOG_CHARS} characters` }],
      })
    }
    await assertOwnTask(c, gateway, taskId)
    return forwardScrubbed(c, gateway, {
      method: 'POST',
      path: `/api/tasks/${segment(taskId)}/log`,
      body: line,
      contentType: c.req.header('content-type') ?? 'application/json',
    })
  })

  documentGateway(
    openapi,
    'get',
    '/tasks/queue/all',
    "Sizes of the tenant's queues (other tenants' are left out)"
  )
  app.get('/tasks/queue/all', async (c) => {
    const { tenant } = principalOf(c)
    const result = await callJson(c, gateway, { path: '/api/tasks/queue/all' })
    if (!result.ok) return result.response
    const sizes: Record<string, unknown> = {}
    const own = `${tenant}:`
    for (const [queue, size] of Object.entries(isObject(result.body) ? result.body : {})) {
      if (!queue.startsWith(own)) continue
      const name = queue.slice(own.length)
      sizes[name.startsWith(`${tenant}${SEPARATOR}`) ? name.slice(tenant.length + SEPARATOR.length) : name] =
        size
    }
    return jsonResponse(sizes)
  })

  // Last: `/tasks/{taskId}` must not take the fixed two-segment paths above.
  documentGateway(openapi, 'get', '/tasks/:taskId', "One of the tenant's tasks, prefixes removed")
  app.get('/tasks/:taskId', async (c) => {
    const task = await assertOwnTask(c, gateway, c.req.param('taskId'))
    return jsonResponse(stripTask(task, principalOf(c).tenant))
  })
  return app
}

/**
 * A task update (`POST /tasks`, `/tasks/update-v2`) vetted: the task is the tenant's, the body
 * names its own workflow, and `dynamic_tasks` in its output are confined to the tenant.
 */
async function vetUpdate(
  c: Context<AppEnv>,
  gateway: GatewayContext,
  body: unknown
): Promise<Record<string, unknown>> {
  const principal = principalOf(c)
  if (!isObject(body) || typeof body.taskId !== 'string') {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      errors: [{ where: 'body.taskId', message: 'expected a task id' }],
    })
  }
  const task = await assertOwnTask(c, gateway, body.taskId)
  // Conductor decides the workflow named by the body, not the task's own: keep it the task's.
  if (body.workflowInstanceId !== undefined && body.workflowInstanceId !== task.workflowInstanceId) {
    throw notFound('task')
  }
  const result = { ...body }
  if (isObject(body.outputData) && body.outputData.dynamic_tasks !== undefined) {
    result.outputData = {
      ...body.outputData,
      dynamic_tasks: tenantizeTasks(
        body.outputData.dynamic_tasks,
        'body.outputData.dynamic_tasks',
        rulesFor(gateway, principal)
      ),
    }
  }
  return result
}
