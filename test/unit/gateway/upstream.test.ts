import { describe, expect, it } from 'vitest'
import { ALICE, buildGateway, execId, GINA, OSCAR } from '../../conformance/gateway-world.ts'
import { call, problemOf } from './helpers.ts'

describe('the gateway and its upstream', () => {
  it('cancels the Conductor call when the client goes away', async () => {
    const world = buildGateway('[conductor]\ntimeout_ms = 10000')
    world.conductor.delayMs = 5_000
    const client = new AbortController()
    const pending = call(world, ALICE, 'GET', '/api/metadata/workflow', { signal: client.signal })
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(world.conductor.requests).toHaveLength(1)
    client.abort()
    await pending.catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(world.conductor.aborted).toHaveLength(1)
    expect(world.conductor.aborted[0]?.path).toBe('/api/metadata/workflow')
  })

  it('answers 502 for an engine list too large to rewrite', async () => {
    const world = buildGateway('[conductor]\nrewrite_limit = 1024')
    const response = await call(world, ALICE, 'GET', '/api/metadata/workflow')
    expect(response.status).toBe(502)
    expect((await problemOf(response)).code).toBe('FG_ERR_UPSTREAM_INVALID')
  })

  it('answers 502 for an engine error body too large to pass through', async () => {
    const world = buildGateway('[conductor]\nrewrite_limit = 1024')
    world.conductor.override = () => new Response('e'.repeat(5000), { status: 500 })
    const response = await call(world, ALICE, 'DELETE', '/api/metadata/taskdefs/charge')
    expect(response.status).toBe(502)
  })

  it('answers 502 for an engine answer that is not JSON where JSON is needed', async () => {
    const world = buildGateway()
    world.conductor.override = () => new Response('<html>proxy error</html>', { status: 200 })
    const response = await call(world, ALICE, 'GET', '/api/metadata/workflow')
    expect(response.status).toBe(502)
    expect(await response.text()).not.toContain('proxy error')
  })

  it.each([
    [400, 'Invalid input: acme___orders.tasks[0] acme___x'],
    [409, 'acme___orders exists'],
    [500, 'NullPointerException in acme___orders'],
  ])("passes Conductor's %i through with the caller's tenant prefix scrubbed", async (status, message) => {
    const world = buildGateway()
    world.conductor.override = () =>
      new Response(JSON.stringify({ status, message }), {
        status,
        headers: { 'content-type': 'application/json', 'set-cookie': 'JSESSIONID=1' },
      })
    const response = await call(world, ALICE, 'POST', '/api/metadata/workflow', {
      body: { name: 'orders', tasks: [] },
    })
    expect(response.status).toBe(status)
    expect(response.headers.get('set-cookie')).toBeNull()
    const body = (await response.json()) as { message: string }
    expect(body.message).toBe(message.replaceAll('acme___', ''))
  })

  it('sets x-forwarded-proto and x-forwarded-host for Conductor', async () => {
    const world = buildGateway()
    await world.app.request('https://gw.example.test/api/metadata/workflow', {
      headers: { 'x-tenant-id': 'acme', from: ALICE.user, 'x-auth-user-groups': 'network-admin' },
    })
    const [request] = world.conductor.requests
    expect(request?.headers.get('x-forwarded-proto')).toBe('https')
    expect(request?.headers.get('x-forwarded-host')).toBe('gw.example.test')
  })

  it('never writes the Authorization or Cookie values to the log', async () => {
    const world = buildGateway()
    world.conductor.down = true
    await call(world, ALICE, 'GET', '/api/metadata/workflow', {
      headers: { authorization: 'Bearer very-secret', cookie: 'sid=cookie-secret' },
    })
    const log = world.lines.join('\n')
    expect(log).toContain('FG_ERR_UPSTREAM_UNAVAILABLE')
    expect(log).not.toContain('very-secret')
    expect(log).not.toContain('cookie-secret')
  })

  it('serves the same rules under /proxy/api as under /api', async () => {
    const world = buildGateway()
    expect((await call(world, OSCAR, 'GET', `/proxy/api/workflow/${execId(ALICE)}`)).status).toBe(404)
    expect((await call(world, GINA, 'GET', `/proxy/api/workflow/${execId(ALICE)}`)).status).toBe(404)
    expect((await call(world, ALICE, 'GET', `/proxy/api/workflow/${execId(OSCAR)}`)).status).toBe(200)
  })
})
