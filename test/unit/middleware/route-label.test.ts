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

  it('labels a path that a later pattern also matches with the route that answered', async () => {
    const labels: string[] = []
    const app = new Hono<AppEnv>()
    app.use(async (c, next) => {
      await next()
      labels.push(routeLabel(c))
    })
    const api = new Hono<AppEnv>()
    api.use('*', async (c, next) => (c.req.header('x-deny') ? c.text('no', 401) : next()))
    api.get('/workflow/search', (c) => c.text('search'))
    api.get('/workflow/:id', (c) => c.text('one'))
    app.route('/api', api)
    app.route('/proxy/api', api)
    app.use('/proxy/*', async (_c, next) => next())
    await app.request('/api/workflow/search')
    await app.request('/proxy/api/workflow/search')
    await app.request('/api/workflow/search', { headers: { 'x-deny': '1' } })
    await app.request('/api/workflow/7')
    expect(labels).toEqual([
      '/api/workflow/search',
      '/proxy/api/workflow/search',
      '/api/workflow/search',
      '/api/workflow/:id',
    ])
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
