import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other, taskId } from '../../conformance/gateway-world.ts'
import { call, jsonOf } from './helpers.ts'

describe.each(['acme', 'globex'])('routes the SDKs call, tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('POST /api/workflow/{name}', () => {
    it.each([
      ['an admin', admin],
      ['an operator (labelled definition)', operator],
    ])('starts as %s with the body as input, in the tenant domain, as the user', async (_, user) => {
      const world = buildGateway()
      const response = await call(
        world,
        user,
        'POST',
        '/api/workflow/labelled?version=1&priority=3&correlationId=spoofed',
        { body: { a: 1 } }
      )
      expect(response.status).toBe(200)
      const id = await response.text()
      const [start] = world.conductor.calls('POST', '/api/workflow')
      expect(start?.body).toEqual({
        name: `${tenant}___labelled`,
        version: '1',
        priority: 3,
        input: { a: 1 },
        taskToDomain: { '*': tenant },
        correlationId: user.user,
        createdBy: user.user,
      })
      expect(world.conductor.executions.get(id)?.workflowName).toBe(`${tenant}___labelled`)
    })

    it('answers an operator 403 for an unlabelled definition and starts nothing', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'POST', '/api/workflow/private', { body: {} })
      expect(response.status).toBe(403)
      expect(world.conductor.calls('POST', '/api/workflow')).toEqual([])
    })

    it("starts the tenant's own definition, never another tenant's by its full name", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', `/api/workflow/${foreign}___labelled`, { body: {} })
      expect(response.status).toBe(400)
      expect(world.conductor.calls('POST', '/api/workflow')).toEqual([])
    })

    it('refuses a body that is not an input map', async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/workflow/labelled', { body: [1] })
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('GET /api/tasks/{taskId}', () => {
    it("answers the tenant's task with prefixes removed", async () => {
      const world = buildGateway()
      const task = await jsonOf<Record<string, unknown>>(
        await call(world, admin, 'GET', `/api/tasks/${taskId(tenant)}`)
      )
      expect(task).toMatchObject({ taskId: taskId(tenant), taskType: 'charge', workflowType: 'labelled' })
      expect(JSON.stringify(task)).not.toContain(`${tenant}___`)
    })

    it("answers 404 for another tenant's task, without its data", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'GET', `/api/tasks/${taskId(foreign)}`)
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain(foreign)
    })

    it('is for admins', async () => {
      const world = buildGateway()
      expect((await call(world, operator, 'GET', `/api/tasks/${taskId(tenant)}`)).status).toBe(403)
    })
  })

  describe('POST /api/tasks/{taskId}/log', () => {
    it("adds a line to the tenant's task", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', `/api/tasks/${taskId(tenant)}/log`, {
        body: JSON.stringify('charging'),
      })
      expect(response.ok).toBe(true)
      expect(world.conductor.tasks.get(taskId(tenant))?.logs).toEqual(['charging'])
    })

    it("answers 404 for another tenant's task and logs nothing", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', `/api/tasks/${taskId(foreign)}/log`, {
        body: JSON.stringify('intruding'),
      })
      expect(response.status).toBe(404)
      expect(world.conductor.calls('POST')).toEqual([])
      expect(world.conductor.tasks.get(taskId(foreign))?.logs).toBeUndefined()
    })

    it('is for admins', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'POST', `/api/tasks/${taskId(tenant)}/log`, {
        body: JSON.stringify('x'),
      })
      expect(response.status).toBe(403)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('POST /api/tasks/update-v2', () => {
    it("updates the tenant's task as POST /tasks does", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks/update-v2', {
        body: { taskId: taskId(tenant), workflowInstanceId: execId(operator), status: 'COMPLETED' },
      })
      expect(response.ok).toBe(true)
      expect(world.conductor.tasks.get(taskId(tenant))?.status).toBe('COMPLETED')
    })

    it("answers 404 for another tenant's task and updates nothing", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks/update-v2', {
        body: { taskId: taskId(foreign), status: 'COMPLETED' },
      })
      expect(response.status).toBe(404)
      expect(world.conductor.calls('POST')).toEqual([])
      expect(world.conductor.tasks.get(taskId(foreign))?.status).not.toBe('COMPLETED')
    })

    it('answers 404 when the body names another workflow than the task’s', async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks/update-v2', {
        body: { taskId: taskId(tenant), workflowInstanceId: execId(adminOf(foreign)), status: 'COMPLETED' },
      })
      expect(response.status).toBe(404)
      expect(world.conductor.calls('POST')).toEqual([])
    })

    it('confines dynamic_tasks as POST /tasks does', async () => {
      const world = buildGateway()
      await call(world, admin, 'POST', '/api/tasks/update-v2', {
        body: {
          taskId: taskId(tenant),
          status: 'COMPLETED',
          outputData: { dynamic_tasks: [{ name: 'charge', taskReferenceName: 'c1', type: 'SIMPLE' }] },
        },
      })
      const [update] = world.conductor.calls('POST', '/api/tasks/update-v2')
      expect(update?.body).toMatchObject({
        outputData: { dynamic_tasks: [{ name: `${tenant}___charge` }] },
      })
    })
  })

  describe('GET /api/metadata/workflow/names-and-versions', () => {
    it("lists the tenant's definitions for an admin, prefixes removed", async () => {
      const world = buildGateway()
      const answer = await jsonOf<Record<string, Array<{ name: string; version: number }>>>(
        await call(world, admin, 'GET', '/api/metadata/workflow/names-and-versions')
      )
      // `mixed` names this tenant but runs another's task: hidden, as in the list.
      expect(Object.keys(answer).sort()).toEqual(['labelled', 'notifier', 'private'])
      expect(answer.labelled).toEqual([{ name: 'labelled', version: 1, createTime: 1 }])
      expect(JSON.stringify(answer)).not.toContain('___')
    })

    it('lists only the labelled definitions for an operator', async () => {
      const world = buildGateway()
      const answer = await jsonOf<Record<string, unknown>>(
        await call(world, operator, 'GET', '/api/metadata/workflow/names-and-versions')
      )
      expect(Object.keys(answer).sort()).toEqual(['labelled', 'notifier'])
    })

    it('is not taken for a definition name', async () => {
      const world = buildGateway()
      await call(world, admin, 'GET', '/api/metadata/workflow/names-and-versions')
      expect(world.conductor.calls('GET', `/api/metadata/workflow/${tenant}___names-and-versions`)).toEqual(
        []
      )
    })
  })
})
