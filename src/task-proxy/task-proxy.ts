/**
 * @module The worker-facing task proxy (its own listener, a separate trust zone — no identity):
 * a batch poll of a task type is fanned out over every tenant's domain queue in parallel and
 * merged, never more than `count` tasks, the starting tenant rotating so none starves; a tenant
 * whose poll fails is skipped, and when every tenant's poll fails the poll answers 502/504 (an
 * empty answer would tell workers the queues are empty). The worker calls (task-proxy-routes.ts),
 * or with `pass_through = "all"` every call, pass through to Conductor unchanged; others get 404.
 */
import { type Context, Hono } from 'hono'
import type { Config } from '../config/schema.ts'
import type { AppEnv } from '../env.ts'
import { AppError, problemResponse } from '../errors.ts'
import { withRequestId } from '../middleware/request-id.ts'
import { responseHeaders, type Upstream } from '../proxy/forward.ts'
import { jsonResponse, readJson } from '../proxy/json-rewrite.ts'
import { passedOn, rawTarget } from './direct-pass.ts'
import { Rotation, shares } from './fair-share.ts'
import { PollOutage } from './outage.ts'
import type { TenantRegistry } from './tenant-registry.ts'
import { passedInMode } from './worker-routes.ts'

export interface TaskProxyOptions {
  config: Readonly<Pick<Config, 'task_proxy' | 'conductor' | 'log'>>
  registry: TenantRegistry
  /** The one Conductor upstream of the app (shared services). */
  upstream: Upstream
}

const POLL_LIMIT = 1_000

function pollParams(c: Context<AppEnv>): { workerid?: string; count: number; timeout: number } {
  const count = Number(c.req.query('count') ?? '1')
  const timeout = Number(c.req.query('timeout') ?? '100')
  if (
    !Number.isInteger(count) ||
    count < 1 ||
    count > POLL_LIMIT ||
    !Number.isInteger(timeout) ||
    timeout < 0 ||
    timeout > 60_000
  ) {
    throw new AppError('FG_ERR_HTTP_BAD_REQUEST', {
      detail: `count is 1-${POLL_LIMIT} and timeout 0-60000 ms.`,
    })
  }
  const workerid = c.req.query('workerid')
  return workerid === undefined ? { count, timeout } : { workerid: workerid.slice(0, 200), count, timeout }
}

async function pollTenant(
  c: Context<AppEnv>,
  upstream: Upstream,
  taskType: string,
  tenant: string,
  params: { workerid?: string; count: number; timeout: number },
  limits: { rewriteLimit: number; timeoutMs: number }
): Promise<unknown[]> {
  const query = new URLSearchParams({
    count: String(params.count),
    timeout: String(params.timeout),
    domain: tenant,
  })
  if (params.workerid !== undefined) query.set('workerid', params.workerid)
  const response = await upstream.call(c, {
    path: `/api/tasks/poll/batch/${encodeURIComponent(taskType)}`,
    query,
    timeoutMs: limits.timeoutMs + params.timeout,
  })
  if (!response.ok) {
    await response.body?.cancel()
    throw new AppError('FG_ERR_UPSTREAM_INVALID', {
      cause: new Error(`Conductor answered ${response.status}`),
    })
  }
  const tasks = await readJson(response, limits.rewriteLimit)
  return Array.isArray(tasks) ? tasks : []
}

/** A poll round's failures when its client went away: they are its abort, not the engine's (499). */
function throwIfClientGone(c: Context<AppEnv>, failed: ReadonlyMap<string, unknown>): void {
  const signal = c.req.raw.signal
  if (signal.aborted && failed.size > 0) throw failed.values().next().value
}

/**
 * The answer to a poll whose every tenant failed: the engine's failure (502, or 504 for a
 * deadline) without a log line of its own (PollOutage logs the outage once, not per poll).
 */
function failedPoll(c: Context<AppEnv>, failed: ReadonlyMap<string, unknown>): Response {
  const first: unknown = failed.values().next().value
  const error =
    first instanceof AppError ? first : new AppError('FG_ERR_UPSTREAM_UNAVAILABLE', { cause: first })
  return problemResponse(error, c.get('requestId'))
}

export function taskProxy(options: TaskProxyOptions): Hono<AppEnv> {
  const { config, registry, upstream } = options
  const limits = { rewriteLimit: config.conductor.rewrite_limit, timeoutMs: config.conductor.poll_timeout_ms }
  const rotation = new Rotation()
  const outage = new PollOutage()
  const mode = config.task_proxy.pass_through
  const app = new Hono<AppEnv>()
  // Before any route: the path checked is the one forwarded, exactly as the worker sent it.
  app.use('/api/*', async (c, next) => {
    if (!passedInMode(mode, c.req.method, rawTarget(c.req.url).path)) {
      throw new AppError('FG_ERR_TASK_PROXY_ROUTE_CLOSED', {
        detail: 'The task proxy passes only the calls workers make (task_proxy.pass_through).',
      })
    }
    await next()
  })
  const tenantsOrUnavailable = async () => {
    await registry.prepare?.()
    if (!registry.ready())
      throw new AppError('FG_ERR_NOT_READY', { detail: 'The tenant list is not loaded yet.' })
    return registry.tenants()
  }
  app.get('/api/tasks/poll/batch/:taskType', async (c) => {
    const taskType = c.req.param('taskType')
    const params = pollParams(c)
    const tenants = await tenantsOrUnavailable()
    const plan = shares(tenants, params.count, rotation.take(taskType))
    const settled = await Promise.allSettled(
      plan.map((share) =>
        pollTenant(c, upstream, taskType, share.tenant, { ...params, count: share.count }, limits)
      )
    )
    const tasks: unknown[] = []
    const full: string[] = []
    const failed = new Map<string, unknown>()
    const answered: string[] = []
    settled.forEach((result, i) => {
      const share = plan[i]
      if (!share) return
      if (result.status === 'rejected') {
        failed.set(share.tenant, result.reason)
        return
      }
      answered.push(share.tenant)
      tasks.push(...result.value)
      if (result.value.length >= share.count) full.push(share.tenant)
    })
    throwIfClientGone(c, failed)
    if (outage.round(c.get('logger'), taskType, failed, answered)) return failedPoll(c, failed)
    // Capacity left and tenants that may have more: one immediate follow-up round among them.
    const left = params.count - tasks.length
    if (left > 0 && full.length > 0 && full.length < tenants.length) {
      const second = shares(full, left, 0)
      const more = await Promise.allSettled(
        second.map((share) =>
          pollTenant(
            c,
            upstream,
            taskType,
            share.tenant,
            { ...params, count: share.count, timeout: 0 },
            limits
          )
        )
      )
      more.forEach((result, i) => {
        if (result.status === 'fulfilled') tasks.push(...result.value)
        // The tenant answered the first round just now; the next poll tells whether it is failing.
        else c.get('logger').debug('tenant follow-up poll failed', { tenant: second[i]?.tenant })
      })
    }
    return jsonResponse(tasks)
  })

  app.get('/api/tasks/poll/:taskType', async (c) => {
    const taskType = c.req.param('taskType')
    const tenants = await tenantsOrUnavailable()
    const start = rotation.take(taskType)
    const workerid = c.req.query('workerid')
    const failed = new Map<string, unknown>()
    const answered: string[] = []
    for (let i = 0; i < tenants.length; i++) {
      const tenant = tenants[(start + i) % tenants.length] ?? ''
      let tasks: unknown[]
      try {
        tasks = await pollTenant(
          c,
          upstream,
          taskType,
          tenant,
          { count: 1, timeout: 0, ...(workerid ? { workerid } : {}) },
          limits
        )
      } catch (error) {
        failed.set(tenant, error)
        throwIfClientGone(c, failed)
        continue
      }
      answered.push(tenant)
      if (tasks.length > 0) {
        outage.round(c.get('logger'), taskType, failed, answered)
        return jsonResponse(tasks[0])
      }
    }
    if (outage.round(c.get('logger'), taskType, failed, answered)) return failedPoll(c, failed)
    return c.body(null, 204)
  })

  app.all('/api/*', async (c) => {
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? null : c.req.raw.body
    // Path and query pass exactly as the worker sent them (no re-encoding of its parameters).
    const target = rawTarget(c.req.url)
    const response = await upstream.call(c, {
      method: c.req.method,
      path: target.path,
      query: target.query,
      body,
      ...(c.req.header('content-type') ? { contentType: c.req.header('content-type') } : {}),
    })
    return passedOn(response, withRequestId(c, responseHeaders(response)))
  })
  return app
}
