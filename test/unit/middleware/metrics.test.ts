import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { metrics } from '../../../src/middleware/metrics.ts'
import { MetricsRegistry } from '../../../src/ops/prometheus.ts'
import { buildApp } from '../app-harness.ts'

async function scrape(app: Hono<AppEnv>): Promise<string> {
  const response = await app.request('/metrics')
  expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return response.text()
}

function count(text: string, labels: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`flowgate_http_requests_total{${labels}} `))
  return line === undefined ? undefined : Number(line.split(' ').at(-1))
}

describe('metrics', () => {
  it('counts requests by method, route pattern and status', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/x/items/:id', (c) => c.text('ok'))
    await flowgate.app.request('/x/items/1')
    await flowgate.app.request('/x/items/2')
    await flowgate.app.request('/healthz')
    const text = await scrape(flowgate.app)
    expect(count(text, 'method="GET",route="/x/items/:id",status="200"')).toBe(2)
    expect(count(text, 'method="GET",route="/healthz",status="200"')).toBe(1)
    expect(text).not.toContain('/x/items/1')
  })

  it('puts every unmatched path in one series', async () => {
    const flowgate = buildApp()
    for (const path of ['/a', '/b/c', '/wp-admin.php', '/%2e%2e/etc/passwd']) await flowgate.app.request(path)
    const text = await scrape(flowgate.app)
    expect(count(text, 'method="GET",route="(unmatched)",status="404"')).toBe(4)
    expect(text).not.toMatch(/wp-admin|passwd/)
  })

  it.each(['PROPFIND', 'FOO', 'get-ish'])('collapses the method %s to "other"', async (method) => {
    const flowgate = buildApp()
    await flowgate.app.request('/healthz', { method })
    const text = await scrape(flowgate.app)
    expect(text).toMatch(
      /flowgate_http_requests_total\{method="other",route="\(unmatched\)",status="40[45]"\} 1/
    )
    expect(text).not.toContain(method)
  })

  it('labels a wrong method as unmatched with status 405', async () => {
    const flowgate = buildApp()
    await flowgate.app.request('/healthz', { method: 'DELETE' })
    expect(count(await scrape(flowgate.app), 'method="DELETE",route="(unmatched)",status="405"')).toBe(1)
  })

  it('labels a failing route with its pattern and 500', async () => {
    const flowgate = buildApp()
    flowgate.app.get('/jobs/:id', () => {
      throw new Error('boom')
    })
    await flowgate.app.request('/jobs/7')
    expect(count(await scrape(flowgate.app), 'method="GET",route="/jobs/:id",status="500"')).toBe(1)
  })

  it('counts a refused oversized body with 413', async () => {
    const flowgate = buildApp({ FLOWGATE_SERVER_BODY_LIMIT: '16' })
    flowgate.app.post('/upload', (c) => c.text('ok'))
    await flowgate.app.request('/upload', { method: 'POST', body: 'x'.repeat(17) })
    expect(count(await scrape(flowgate.app), 'method="POST",route="/upload",status="413"')).toBe(1)
  })

  it('observes each request in the latency histogram of its label set', async () => {
    const flowgate = buildApp()
    await flowgate.app.request('/healthz')
    await flowgate.app.request('/healthz')
    const text = await scrape(flowgate.app)
    const labels = 'method="GET",route="/healthz",status="200"'
    expect(text).toContain(`flowgate_http_request_duration_seconds_count{${labels}} 2\n`)
    expect(text).toContain(`flowgate_http_request_duration_seconds_bucket{${labels},le="+Inf"} 2\n`)
    expect(text).toContain(`flowgate_http_request_duration_seconds_bucket{${labels},le="30"} 2\n`)
  })

  it('uses the buckets it is given', async () => {
    const registry = new MetricsRegistry()
    const app = new Hono<AppEnv>()
    app.use(metrics({ registry, buckets: [0.5, 60] }))
    app.get('/', (c) => c.text('ok'))
    await app.request('/')
    const buckets = [...registry.render().matchAll(/le="([^"]+)"/g)].map((match) => match[1])
    expect(buckets).toEqual(['0.5', '60', '+Inf'])
  })
})
