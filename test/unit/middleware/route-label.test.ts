import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import { notFound } from '../../../src/middleware/errors.ts'
import { routeLabel, UNMATCHED_ROUTE } from '../../../src/middleware/route-label.ts'

/** An app that records the label of each request as an outer middleware sees it. */
function labelling() {
  const labels: string[] = []
  const app = new Hono<AppEnv>()
  app.use(async (c, next) => {
    await next()
    labels.push(routeLabel(c))
  })
  app.get('/items/:id', (c) => c.text('item'))
  app.get('/files/*', (c) => c.text('file'))
  const api = new Hono<AppEnv>()
  api.get('/workflow/:id{[0-9]+}', (c) => c.text('workflow'))
  app.route('/api', api)
  app.notFound(notFound())
  return { app, labels }
}

describe('routeLabel', () => {
  it.each([
    ['/items/42', '/items/:id'],
    ['/files/a/b/c.txt', '/files/*'],
    ['/api/workflow/7', '/api/workflow/:id{[0-9]+}'],
    ['/nothing/here', UNMATCHED_ROUTE],
    ['/api/workflow/not-a-number', UNMATCHED_ROUTE],
  ])('labels %s as %s', async (path, label) => {
    const { app, labels } = labelling()
    await app.request(path)
    expect(labels).toEqual([label])
  })

  it('names unmatched requests "(unmatched)"', () => {
    expect(UNMATCHED_ROUTE).toBe('(unmatched)')
  })

  it('labels a request unmatched when only catch-all middleware ran', async () => {
    const labels: string[] = []
    const app = new Hono<AppEnv>()
    app.use(async (c, next) => {
      await next()
      labels.push(routeLabel(c))
    })
    app.use('/*', async (_c, next) => {
      await next()
    })
    await app.request('/whatever')
    expect(labels).toEqual([UNMATCHED_ROUTE])
  })
})
