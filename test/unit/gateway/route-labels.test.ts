/**
 * Every route's requests are labelled with the route's own pattern in /metrics and in the access
 * log — also where a later pattern matches the same path (`/api/workflow/search` is matched by
 * `/api/workflow/:workflowId` too) and when a middleware answers before the handler (401).
 */
import { describe, expect, it } from 'vitest'
import { ALICE, buildGateway, execId, OSCAR, taskId } from '../../conformance/gateway-world.ts'
import { call, routesFor } from './helpers.ts'

/** `METHOD pattern` of every documented route, in Hono's syntax (`:name`). */
async function documentedRoutes(): Promise<Array<[string, string]>> {
  const response = await buildGateway().app.request('/openapi.json')
  const doc = (await response.json()) as { paths: Record<string, Record<string, unknown>> }
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.keys(operations).map((method): [string, string] => [
      method.toUpperCase(),
      path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1'),
    ])
  )
}

const SAMPLES: Record<string, string> = {
  workflowId: execId(OSCAR),
  taskId: taskId('acme'),
  taskType: 'charge',
  name: 'labelled',
  version: '1',
  asset: 'index.js',
}

/** A concrete path for a pattern, and the body the seeded world's admin would send to it. */
function requestFor(method: string, pattern: string): { path: string; body?: unknown } {
  const path = pattern.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => SAMPLES[name] ?? name)
  const bare = path.replace(/^\/proxy(?=\/api\/)/, '')
  const known = routesFor('acme').find(
    (route) => route.method === method && route.path.split('?')[0] === bare
  )
  if (known?.body !== undefined) return { path, body: known.body }
  return method === 'POST' || method === 'PUT' ? { path, body: {} } : { path }
}

function requestCount(metrics: string, method: string, route: string): number {
  const prefix = `flowgate_http_requests_total{method="${method}",route="${route}",status="`
  return metrics
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0)
}

const ROUTES = await documentedRoutes()

describe('route labels of every documented route', () => {
  it('covers the routes a later pattern also matches', () => {
    const names = ROUTES.map(([method, pattern]) => `${method} ${pattern}`)
    for (const route of [
      'GET /api/workflow/search',
      'GET /api/workflow/search/top-level',
      'GET /api/workflow/:workflowId',
      'GET /proxy/api/workflow/search',
      'GET /api/tasks/queue/all',
    ]) {
      expect(names).toContain(route)
    }
  })

  describe.each([
    ['an admin', ALICE],
    ['no identity', undefined],
  ])('requested by %s', (_, user) => {
    it.each(ROUTES)('labels %s %s with its own pattern', async (method, pattern) => {
      const world = buildGateway()
      const { path, body } = requestFor(method, pattern)
      const response = await call(world, user, method, path, body === undefined ? {} : { body })
      await response.arrayBuffer()
      const access = world.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.msg === 'request' && line.path === path.split('?')[0])
      expect(access.map((line) => line.route)).toEqual([pattern])
      const metrics = await (await world.app.request('/metrics')).text()
      expect(requestCount(metrics, method, pattern), metrics).toBe(1)
    })
  })
})
