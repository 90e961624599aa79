import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf } from './helpers.ts'

const OPERATIONS = [
  ['PUT', '/pause', 'PAUSED'],
  ['PUT', '/resume', 'RUNNING'],
  ['DELETE', '', 'TERMINATED'],
  ['POST', '/restart', 'RUNNING'],
  ['POST', '/retry', 'RUNNING'],
] as const

describe.each(['acme', 'globex'])('single-execution operations in tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const theirs = execId(adminOf(other(tenant)))

  describe.each(OPERATIONS)('%s /api/workflow/{id}%s', (method, op, status) => {
    it("acts on the tenant's execution", async () => {
      const world = buildGateway()
      const before = world.conductor.executions.get(execId(operator))
      if (before) before.status = 'FAILED'
      const response = await call(world, admin, method, `/api/workflow/${execId(operator)}${op}`)
      expect(response.ok).toBe(true)
      expect(world.conductor.calls(method, `/api/workflow/${execId(operator)}${op}`)).toHaveLength(1)
      expect(world.conductor.executions.get(execId(operator))?.status).toBe(status)
    })

    it("answers 404 for another tenant's execution without acting on it", async () => {
      const world = buildGateway()
      const response = await call(world, admin, method, `/api/workflow/${theirs}${op}`)
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain(other(tenant))
      expect(world.conductor.calls(method)).toEqual([])
      expect(world.conductor.executions.get(theirs)?.status).toBe('RUNNING')
    })

    it("lets an operator act on their own execution, not on the admin's", async () => {
      const world = buildGateway()
      const own = await call(world, operator, method, `/api/workflow/${execId(operator)}${op}`)
      expect(own.ok).toBe(true)
      const admins = await call(world, operator, method, `/api/workflow/${execId(admin)}${op}`)
      expect(admins.status).toBe(404)
      expect(world.conductor.calls(method, `/api/workflow/${execId(admin)}${op}`)).toEqual([])
      expect(world.conductor.executions.get(execId(admin))?.status).toBe('RUNNING')
    })

    it('answers 404 for a hostile id without calling Conductor', async () => {
      const world = buildGateway()
      const response = await call(world, admin, method, `/api/workflow/a%2F..%2Fb${op}`)
      expect(response.status).toBe(404)
      expect(world.conductor.requests).toEqual([])
    })
  })

  it('passes the terminate reason on', async () => {
    const world = buildGateway()
    await call(world, admin, 'DELETE', `/api/workflow/${execId(admin)}?reason=done%20here&other=x`)
    const [terminate] = world.conductor.calls('DELETE', `/api/workflow/${execId(admin)}`)
    expect(terminate?.query.get('reason')).toBe('done here')
    expect(terminate?.query.has('other')).toBe(false)
  })

  it.each([
    ['restart', 'useLatestDefinitions'],
    ['retry', 'resumeSubworkflowTasks'],
  ])('passes %s its %s flag on in any case', async (op, flag) => {
    const world = buildGateway()
    await call(world, admin, 'POST', `/api/workflow/${execId(admin)}/${op}?${flag}=True`)
    const [forwarded] = world.conductor.calls('POST', `/api/workflow/${execId(admin)}/${op}`)
    expect(forwarded?.query.get(flag)).toBe('true')
  })

  it('refuses a flag that is not a boolean before touching anything', async () => {
    const world = buildGateway()
    const response = await call(
      world,
      admin,
      'POST',
      `/api/workflow/${execId(admin)}/restart?useLatestDefinitions=yes`
    )
    expect(response.status).toBe(400)
    expect(world.conductor.requests).toEqual([])
  })

  it('keeps /workflow/bulk/pause a bulk operation', async () => {
    const world = buildGateway()
    const response = await call(world, admin, 'PUT', '/api/workflow/bulk/pause', { body: [execId(admin)] })
    expect(await jsonOf(response)).toMatchObject({ bulkSuccessfulResults: [execId(admin)] })
  })
})

describe.each(['acme', 'globex'])('booleans in any case, tenant %s', (tenant) => {
  const admin = adminOf(tenant)

  it.each(['false', 'False', 'FALSE'])('includeTasks=%s leaves the tasks out', async (value) => {
    const world = buildGateway()
    await call(world, admin, 'GET', `/api/workflow/${execId(admin)}?includeTasks=${value}`)
    const [read] = world.conductor.calls('GET', `/api/workflow/${execId(admin)}`)
    expect(read?.query.get('includeTasks')).toBe('false')
  })

  it.each(['false', 'False'])('archiveWorkflow=%s is passed on as false', async (value) => {
    const world = buildGateway()
    await call(world, admin, 'DELETE', `/api/workflow/${execId(admin)}/remove?archiveWorkflow=${value}`)
    const [remove] = world.conductor.calls('DELETE', `/api/workflow/${execId(admin)}/remove`)
    expect(remove?.query.get('archiveWorkflow')).toBe('false')
  })

  it('archiveWorkflow=True archives (nothing passed on)', async () => {
    const world = buildGateway()
    await call(world, admin, 'DELETE', `/api/workflow/${execId(admin)}/remove?archiveWorkflow=True`)
    const [remove] = world.conductor.calls('DELETE', `/api/workflow/${execId(admin)}/remove`)
    expect(remove?.query.has('archiveWorkflow')).toBe(false)
  })
})
