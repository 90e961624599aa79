import { describe, expect, it } from 'vitest'
import { ALICE, buildGateway, GINA, OSCAR } from '../../conformance/gateway-world.ts'
import { call, problemOf, routesFor } from './helpers.ts'

const CREDENTIALS = {
  authorization: 'Bearer client-secret-token',
  cookie: 'SESSION=client-secret-cookie',
  'x-request-id': 'req-route-1',
}

describe.each([ALICE, GINA])('every gateway route, as the admin of $tenant', (admin) => {
  for (const route of routesFor(admin.tenant)) {
    for (const base of ['', '/proxy']) {
      const label = `${route.method} ${base}${route.path}`

      it(`${label} never forwards the client's Authorization or Cookie, and forwards x-request-id`, async () => {
        const world = buildGateway()
        const response = await call(world, admin, route.method, `${base}${route.path}`, {
          body: route.body,
          headers: CREDENTIALS,
        })
        expect(response.status).toBeLessThan(300)
        expect(world.conductor.requests.length).toBeGreaterThan(0)
        for (const request of world.conductor.requests) {
          expect(request.headers.get('authorization')).toBeNull()
          expect(request.headers.get('cookie')).toBeNull()
          expect(request.headers.get('x-tenant-id')).toBeNull()
          expect(request.headers.get('from')).toBeNull()
          expect(request.headers.get('x-request-id')).toBe('req-route-1')
        }
        expect(await response.text()).not.toContain(`${admin.tenant}___`)
      })

      it(`${label} answers 401 without identity and never calls Conductor`, async () => {
        const world = buildGateway()
        const response = await call(world, undefined, route.method, `${base}${route.path}`, {
          body: route.body,
        })
        expect(response.status).toBe(401)
        expect(world.conductor.requests).toEqual([])
      })

      it(`${label} answers 502 when Conductor is down`, async () => {
        const world = buildGateway()
        world.conductor.down = true
        const response = await call(world, admin, route.method, `${base}${route.path}`, { body: route.body })
        expect(response.status).toBe(502)
        expect((await problemOf(response)).code).toBe('FG_ERR_UPSTREAM_UNAVAILABLE')
      })

      it(`${label} answers 504 when Conductor is slower than the deadline`, async () => {
        const world = buildGateway('[conductor]\ntimeout_ms = 25\npoll_timeout_ms = 25')
        world.conductor.delayMs = 1_000
        const response = await call(world, admin, route.method, `${base}${route.path}`, { body: route.body })
        expect(response.status).toBe(504)
        expect((await problemOf(response)).code).toBe('FG_ERR_UPSTREAM_TIMEOUT')
        expect(world.conductor.aborted.length).toBeGreaterThan(0)
      })
    }
  }
})

describe('routes outside the whitelist', () => {
  it.each([
    ['GET', '/api/admin/config'],
    ['GET', '/api/queue/all'],
    ['POST', '/api/workflow/acme-oscar-1/rerun'],
    ['PUT', '/api/workflow/acme-oscar-1/skiptask/charge'],
    ['GET', '/api/workflow/labelled/correlated/x'],
    ['GET', '/api/tasks/queue/polldata/all'],
    ['POST', '/api/tasks/acme-task-1/ack'],
    ['GET', '/api/metadata/workflow/labelled/extra/segments'],
    ['GET', '/api/health'],
    ['GET', '/api/../actuator/env'],
    ['GET', '/proxy/api/admin/config'],
  ])('%s %s answers 404 and never calls Conductor', async (method, path) => {
    const world = buildGateway()
    const response = await call(world, ALICE, method, path)
    expect(response.status).toBe(404)
    expect(world.conductor.requests).toEqual([])
  })

  it.each([
    ['GET', '/api/admin/config'],
    ['POST', '/api/workflow/acme-oscar-1/restart'],
  ])('%s %s answers 401 to a caller without identity, never calling Conductor', async (method, path) => {
    const world = buildGateway()
    const response = await call(world, undefined, method, path)
    expect(response.status).toBe(401)
    expect(world.conductor.requests).toEqual([])
  })

  it.each([
    ['PATCH', '/api/metadata/workflow'],
    ['PATCH', '/api/workflow/labelled'],
    ['PUT', '/api/workflow/acme-oscar-1'],
    ['GET', '/api/event/on_done'],
  ])(
    'answers %s %s (another method of a gateway path) with 405 without calling Conductor',
    async (method, path) => {
      const world = buildGateway()
      const response = await call(world, ALICE, method, path)
      expect(response.status).toBe(405)
      expect(response.headers.get('allow')).toEqual(expect.any(String))
      expect(world.conductor.requests).toEqual([])
    }
  )
})

describe('/proxy/editableworkflows', () => {
  it.each([
    [ALICE, true],
    [OSCAR, false],
  ])('answers whether %o may edit definitions', async (user, expected) => {
    const world = buildGateway()
    const response = await call(world, user, 'GET', '/proxy/editableworkflows')
    expect(await response.json()).toBe(expected)
    expect(world.conductor.requests).toEqual([])
  })

  it('needs an identity', async () => {
    expect((await call(buildGateway(), undefined, 'GET', '/proxy/editableworkflows')).status).toBe(401)
  })
})
