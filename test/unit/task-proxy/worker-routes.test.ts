import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createTaskProxyApp } from '../../../src/task-proxy/index.ts'
import { staticTenants } from '../../../src/task-proxy/tenant-registry.ts'
import { workerCall } from '../../../src/task-proxy/worker-routes.ts'

/** The task proxy app; every call that reaches "Conductor" is kept and answered 200 []. */
function proxy(env: Record<string, string> = {}) {
  const reached: string[] = []
  const { config } = resolveConfig({ env: { FLOWGATE_LOG_LEVEL: 'silent', ...env } })
  const app = createTaskProxyApp({
    config,
    logger: createLogger({ level: 'silent' }),
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: true },
    registry: staticTenants(['acme']),
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      reached.push(`${init?.method ?? 'GET'} ${String(input)}`)
      return Response.json([])
    }) as typeof fetch,
  }).app
  return { app, reached }
}

const WORKER_CALLS: Array<[string, string]> = [
  ['GET', '/api/tasks/poll/GLOBAL___notify'],
  ['GET', '/api/tasks/poll/batch/GLOBAL___notify'],
  ['GET', '/api/tasks/poll/batch/GLOBAL___a%20b'],
  ['HEAD', '/api/tasks/poll/batch/GLOBAL___notify'],
  ['POST', '/api/tasks'],
  ['POST', '/api/tasks/update-v2'],
  ['POST', '/api/tasks/9f1c0e4a-0b5e-4f7a-9d1e-2f6f4d1c2b3a/log'],
  ['POST', '/api/tasks/9f1c0e4a-0b5e-4f7a-9d1e-2f6f4d1c2b3a/ack'],
  ['GET', '/api/tasks/externalstoragelocation'],
]

const CLOSED_CALLS: Array<[string, string]> = [
  ['GET', '/api/admin/config'],
  ['GET', '/api/workflow/9f1c0e4a-0b5e-4f7a-9d1e-2f6f4d1c2b3a'],
  ['PUT', '/api/workflow/9f1c0e4a-0b5e-4f7a-9d1e-2f6f4d1c2b3a/pause'],
  ['PUT', '/api/workflow/9f1c0e4a-0b5e-4f7a-9d1e-2f6f4d1c2b3a/resume'],
  ['POST', '/api/workflow'],
  ['GET', '/api/metadata/workflow'],
  ['GET', '/api/metadata/taskdefs/GLOBAL___notify'],
  ['POST', '/api/metadata/taskdefs'],
  ['GET', '/api/tasks/queue/all'],
  ['GET', '/api/tasks/queue/sizes'],
  ['GET', '/api/tasks/queue/polldata/all'],
  ['GET', '/api/tasks/9f1c0e4a'],
  ['GET', '/api/tasks/search'],
  ['POST', '/api/tasks/queue/requeue/GLOBAL___notify'],
  ['POST', '/api/tasks/wf1/ref/COMPLETED'],
  ['DELETE', '/api/tasks/queue/GLOBAL___notify/9f1c'],
  // Worker paths under another method.
  ['GET', '/api/tasks'],
  ['PUT', '/api/tasks'],
  ['DELETE', '/api/tasks/9f1c/log'],
  ['GET', '/api/tasks/9f1c/log'],
  ['POST', '/api/tasks/poll/batch/x'],
  ['OPTIONS', '/api/tasks'],
  ['OPTIONS', '/api/admin/config'],
  ['HEAD', '/api/admin/config'],
  // Spellings a servlet container or Spring reads as another path.
  ['GET', '/api/tasks/poll/batch/..%2F..%2F..%2Fadmin%2Fconfig'],
  ['GET', '/api/tasks/poll/batch/x%2F..%2F..%2Fqueue%2Fall'],
  ['GET', '/api/tasks/poll/batch/%2e%2e'],
  ['GET', '/api/tasks/poll/%2E'],
  ['GET', '/api/tasks/poll/batch/x%5C..%5Cadmin'],
  ['GET', '/api/tasks/poll/batch/x%3Bjsessionid=1'],
  ['GET', '/api/tasks/poll/batch/x;a=b'],
  ['POST', '/api/tasks;x=y'],
  ['POST', '/api/tasks/'],
  ['GET', '/api/tasks/poll/batch/x/'],
  ['GET', '/api//tasks/poll/x'],
  ['GET', '/api/tasks//poll/x'],
  ['POST', '/api/tasks/%2F/log'],
  ['POST', '/api/tasks/x%00/log'],
  ['POST', '/API/tasks'],
  ['POST', '/api/Tasks'],
  ['POST', '/api/tasks/UPDATE-V2'],
  ['POST', '/api/%74asks'],
  ['POST', '/api/tasks/update-v2%2F..%2F..%2Fworkflow'],
  ['GET', '/api/tasks/poll/batch/x/../../../admin/config'],
  ['GET', '/api/tasks/poll/x/..'],
  ['GET', '/api/tasks/poll/batch/x%ZZ'],
  ['GET', '/api/tasks/poll/batch/\u00e9'],
]

describe('the calls a worker makes (pass_through = "worker")', () => {
  it.each(WORKER_CALLS)('%s %s is a worker call', (method, path) => {
    expect(workerCall(method, path)).toBe(true)
  })

  it.each(CLOSED_CALLS)('%s %s is not', (method, path) => {
    expect(workerCall(method, path)).toBe(false)
  })
})

describe('the task proxy with the default pass_through = "worker"', () => {
  // URL parsing resolves `..` and `.` before the app sees them; the listener tests send them raw.
  const throughUrl = CLOSED_CALLS.filter(([, path]) => !/\/\.\.?(\/|$)|\u00e9/.test(path))

  it.each(throughUrl)('answers %s %s with 404 and never asks Conductor', async (method, path) => {
    const { app, reached } = proxy()
    const response = await app.request(`http://proxy.test:8089${path}?taskType=x&count=1`, {
      method,
      ...(method === 'POST' || method === 'PUT'
        ? { body: '{}', headers: { 'content-type': 'application/json' } }
        : {}),
    })
    expect(response.status).toBe(404)
    if (method !== 'HEAD') {
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      const code = ((await response.json()) as { code: string }).code
      // Paths outside /api/ are no route at all.
      expect(['FG_ERR_TASK_PROXY_ROUTE_CLOSED', 'FG_ERR_HTTP_NOT_FOUND']).toContain(code)
    }
    expect(reached).toEqual([])
  })

  it('names the setting that opens a closed call', async () => {
    const { app } = proxy()
    const body = (await (await app.request('/api/admin/config')).json()) as { code: string; detail: string }
    expect(body.code).toBe('FG_ERR_TASK_PROXY_ROUTE_CLOSED')
    expect(body.detail).toContain('task_proxy.pass_through')
  })

  it.each(WORKER_CALLS.filter(([method]) => method !== 'HEAD'))(
    'passes %s %s on to Conductor',
    async (method, path) => {
      const { app, reached } = proxy()
      const response = await app.request(`http://proxy.test:8089${path}`, {
        method,
        ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
      })
      // A single poll that finds nothing answers 204.
      expect([200, 204]).toContain(response.status)
      expect(reached.length).toBeGreaterThan(0)
    }
  )

  it('passes every call when pass_through = "all", as the original did', async () => {
    const { app, reached } = proxy({ FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all' })
    for (const [method, path] of [
      ['GET', '/api/admin/config'],
      ['GET', '/api/metadata/workflow'],
      ['PUT', '/api/workflow/9f1c/pause'],
      ['GET', '/api/tasks/queue/all'],
    ] as const) {
      const response = await app.request(`http://proxy.test:8089${path}`, { method })
      expect([method, path, response.status]).toEqual([method, path, 200])
    }
    expect(reached).toHaveLength(4)
  })
})
