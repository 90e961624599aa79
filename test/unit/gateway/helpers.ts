/** @module Request helpers for the gateway handler tests (the world itself lives in test/conformance). */
import type { Problem } from '../../../src/errors.ts'
import { type GatewayWorld, headersOf, type User } from '../../conformance/gateway-world.ts'

export interface CallOptions {
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
}

/** Calls the gateway as `user` (trusted headers), with a JSON body when one is given. */
export function call(
  world: GatewayWorld,
  user: User | undefined,
  method: string,
  path: string,
  options: CallOptions = {}
): Promise<Response> {
  const headers: Record<string, string> = { ...(user ? headersOf(user) : {}), ...options.headers }
  const init: RequestInit = { method, headers }
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json'
    init.body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
  }
  if (options.signal) init.signal = options.signal
  return Promise.resolve(world.app.request(path, init))
}

export async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type')
  if (type !== 'application/problem+json') {
    throw new Error(`expected problem+json, got ${type} (${response.status}): ${await response.text()}`)
  }
  return (await response.json()) as Problem
}

export async function jsonOf<T = unknown>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`expected 2xx, got ${response.status}: ${await response.text()}`)
  return (await response.json()) as T
}

/** One gateway route as an admin of `tenant` uses it on the seeded world. */
export interface RouteCase {
  method: string
  path: string
  body?: unknown
}

export function routesFor(tenant: string): RouteCase[] {
  const ex = `${tenant}-${tenant === 'acme' ? 'oscar' : 'otto'}-1`
  const task = `${tenant}-task-1`
  return [
    { method: 'GET', path: '/api/metadata/workflow' },
    { method: 'GET', path: '/api/metadata/workflow/labelled?version=1' },
    { method: 'POST', path: '/api/metadata/workflow', body: { name: 'new_wf', tasks: [{ name: 't' }] } },
    { method: 'PUT', path: '/api/metadata/workflow', body: [{ name: 'new_wf', tasks: [{ name: 't' }] }] },
    { method: 'DELETE', path: '/api/metadata/workflow/labelled/1' },
    { method: 'GET', path: '/api/metadata/taskdefs' },
    { method: 'GET', path: '/api/metadata/taskdefs/charge' },
    { method: 'POST', path: '/api/metadata/taskdefs', body: [{ name: 'new_task' }] },
    { method: 'PUT', path: '/api/metadata/taskdefs', body: { name: 'charge', retryCount: 3 } },
    { method: 'DELETE', path: '/api/metadata/taskdefs/charge' },
    { method: 'POST', path: '/api/workflow', body: { name: 'labelled' } },
    { method: 'GET', path: '/api/workflow/search' },
    { method: 'GET', path: `/api/workflow/${ex}` },
    { method: 'GET', path: `/api/workflow/${ex}/family` },
    { method: 'DELETE', path: `/api/workflow/${ex}/remove` },
    { method: 'PUT', path: '/api/workflow/bulk/pause', body: [ex] },
    { method: 'PUT', path: '/api/workflow/bulk/resume', body: [ex] },
    { method: 'POST', path: '/api/workflow/bulk/restart', body: [ex] },
    { method: 'POST', path: '/api/workflow/bulk/retry', body: [ex] },
    { method: 'POST', path: '/api/workflow/bulk/terminate', body: [ex] },
    { method: 'DELETE', path: '/api/workflow/bulk/terminate', body: [ex] },
    { method: 'GET', path: '/api/tasks/poll/charge?workerid=w1' },
    { method: 'GET', path: '/api/tasks/poll/batch/charge?count=2&timeout=10' },
    {
      method: 'POST',
      path: '/api/tasks',
      body: { taskId: task, workflowInstanceId: ex, status: 'COMPLETED' },
    },
    { method: 'GET', path: `/api/tasks/${task}/log` },
    { method: 'GET', path: '/api/tasks/queue/all' },
    { method: 'GET', path: '/api/event' },
    {
      method: 'POST',
      path: '/api/event',
      body: {
        name: 'h',
        event: 'conductor:labelled:charge',
        actions: [{ action: 'start_workflow', start_workflow: { name: 'private' } }],
      },
    },
    {
      method: 'PUT',
      path: '/api/event',
      body: {
        name: 'on_done',
        event: 'conductor:labelled:charge',
        actions: [{ action: 'start_workflow', start_workflow: { name: 'private' } }],
      },
    },
    { method: 'DELETE', path: '/api/event/on_done' },
  ]
}
