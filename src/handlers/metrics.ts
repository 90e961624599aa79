/** @module /metrics: Prometheus text exposition of the app's registry. */
import { Hono } from 'hono'
import type { AppEnv } from '../env.ts'
import type { OpenApiRegistry } from '../ops/openapi.ts'
import { type MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../ops/prometheus.ts'

export interface MetricsRouteOptions {
  registry: MetricsRegistry
  openapi: OpenApiRegistry
}

export function metricsRoute(options: MetricsRouteOptions): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  options.openapi.add({
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format 0.0.4)',
    tags: ['operations'],
    responses: { 200: { description: 'Metrics', contentType: PROMETHEUS_CONTENT_TYPE } },
  })
  app.get('/metrics', (c) =>
    c.body(options.registry.render(), 200, {
      'content-type': PROMETHEUS_CONTENT_TYPE,
      'cache-control': 'no-store',
    })
  )
  return app
}
