import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other, taskId } from '../../conformance/gateway-world.ts'
import { call, jsonOf, problemOf } from './helpers.ts'

type Task = Record<string, unknown>

describe.each(['acme', 'globex'])('task execution in tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('GET /api/tasks/poll/:taskType', () => {
    it("polls the prefixed type in the tenant's domain only, ignoring a client domain", async () => {
      const world = buildGateway()
      const task = await jsonOf<Task>(
        await call(world, admin, 'GET', `/api/tasks/poll/charge?workerid=w1&domain=${foreign}`)
      )
      expect(task).toMatchObject({ taskId: taskId(tenant), taskType: 'charge', workflowType: 'labelled' })
      const [poll] = world.conductor.calls('GET', `/api/tasks/poll/${tenant}___charge`)
      expect([...(poll?.query ?? [])]).toEqual([
        ['workerid', 'w1'],
        ['domain', tenant],
      ])
      expect(world.conductor.queues.get(`${foreign}:${foreign}___charge`)).toHaveLength(1)
    })

    it('answers 204 when the queue is empty', async () => {
      const world = buildGateway()
      await call(world, admin, 'GET', '/api/tasks/poll/charge')
      const response = await call(world, admin, 'GET', '/api/tasks/poll/charge')
      expect(response.status).toBe(204)
      expect(await response.text()).toBe('')
    })

    it("answers 400 for the other tenant's task type", async () => {
      const world = buildGateway()
      expect((await call(world, admin, 'GET', `/api/tasks/poll/${foreign}___charge`)).status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it('gives long polls their own deadline', async () => {
      const world = buildGateway('[conductor]\ntimeout_ms = 10\npoll_timeout_ms = 2000')
      world.conductor.delayMs = 50
      expect((await call(world, admin, 'GET', '/api/tasks/poll/charge')).status).toBe(200)
    })
  })

  describe('GET /api/tasks/poll/batch/:taskType', () => {
    it('polls a batch in the tenant domain with count and timeout, de-prefixed', async () => {
      const world = buildGateway()
      const tasks = await jsonOf<Task[]>(
        await call(world, admin, 'GET', '/api/tasks/poll/batch/charge?workerid=w&count=5&timeout=10&domain=x')
      )
      expect(tasks.map((task) => task.taskType)).toEqual(['charge'])
      const [poll] = world.conductor.calls('GET', `/api/tasks/poll/batch/${tenant}___charge`)
      expect([...(poll?.query ?? [])]).toEqual([
        ['workerid', 'w'],
        ['count', '5'],
        ['timeout', '10'],
        ['domain', tenant],
      ])
    })

    it.each(['count=0', 'count=1001', 'count=x', 'timeout=-1', 'timeout=60001', 'count=1.5'])(
      'answers 400 for %s',
      async (params) => {
        const world = buildGateway()
        expect((await call(world, admin, 'GET', `/api/tasks/poll/batch/charge?${params}`)).status).toBe(400)
        expect(world.conductor.requests).toEqual([])
      }
    )
  })

  describe('POST /api/tasks', () => {
    const update = (extra: Task = {}) => ({
      taskId: taskId(tenant),
      workflowInstanceId: execId(operator),
      status: 'COMPLETED',
      outputData: { ok: true },
      ...extra,
    })

    it("updates one of the tenant's tasks", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks', { body: update() })
      expect(response.status).toBe(200)
      expect(await response.text()).toBe(taskId(tenant))
      expect(world.conductor.tasks.get(taskId(tenant))?.status).toBe('COMPLETED')
    })

    it('confines dynamic_tasks: names and sub-workflows prefixed', async () => {
      const world = buildGateway()
      const dynamic = [
        { name: 'sub', taskReferenceName: 's', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'labelled' } },
        { name: 'simple', taskReferenceName: 'x' },
        { name: 'GLOBAL___notify', taskReferenceName: 'n' },
      ]
      await call(world, admin, 'POST', '/api/tasks', {
        body: update({ outputData: { dynamic_tasks: dynamic } }),
      })
      const [request] = world.conductor.calls('POST', '/api/tasks')
      expect(((request?.body ?? {}) as { outputData?: Task }).outputData?.dynamic_tasks).toEqual([
        {
          name: `${tenant}___sub`,
          taskReferenceName: 's',
          type: 'SUB_WORKFLOW',
          subWorkflowParam: { name: `${tenant}___labelled` },
        },
        { name: `${tenant}___simple`, taskReferenceName: 'x' },
        { name: 'GLOBAL___notify', taskReferenceName: 'n' },
      ])
    })

    it.each([
      ['a forbidden type', [{ name: 'h', type: 'HTTP' }], 'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN'],
      [
        'a forbidden type inside a fork',
        [{ name: 'f', type: 'FORK_JOIN', forkTasks: [[{ name: 'i', type: 'INLINE' }]] }],
        'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN',
      ],
      [
        'an inline sub-workflow',
        [{ name: 's', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'x', workflowDefinition: {} } }],
        'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      ],
      [
        "the other tenant's sub-workflow",
        [{ name: 's', type: 'SUB_WORKFLOW', subWorkflowParam: { name: `${other(tenant)}___private` } }],
        'FG_ERR_GATEWAY_NAME_INVALID',
      ],
    ])('answers 400 for dynamic_tasks with %s and updates nothing', async (_, dynamic, code) => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks', {
        body: update({ outputData: { dynamic_tasks: dynamic } }),
      })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).code).toBe(code)
      expect(world.conductor.calls('POST', '/api/tasks')).toEqual([])
    })

    it("answers 404 for the other tenant's task and updates nothing", async () => {
      const world = buildGateway()
      const body = {
        taskId: taskId(foreign),
        workflowInstanceId: execId(operatorOf(foreign)),
        status: 'COMPLETED',
      }
      expect((await call(world, admin, 'POST', '/api/tasks', { body })).status).toBe(404)
      expect(world.conductor.calls('POST', '/api/tasks')).toEqual([])
      expect(world.conductor.tasks.get(taskId(foreign))?.status).toBe('SCHEDULED')
    })

    it("answers 404 for the tenant's task paired with the other tenant's workflow id", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/tasks', {
        body: update({ workflowInstanceId: execId(operatorOf(foreign)) }),
      })
      expect(response.status).toBe(404)
      expect(world.conductor.calls('POST', '/api/tasks')).toEqual([])
    })

    it.each([[{ status: 'COMPLETED' }], [{ taskId: 7 }], [['x']]])('answers 400 for %j', async (body) => {
      const world = buildGateway()
      expect((await call(world, admin, 'POST', '/api/tasks', { body })).status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('GET /api/tasks/:taskId/log', () => {
    it("returns the logs of the tenant's task", async () => {
      const world = buildGateway()
      const logs = await jsonOf<Task[]>(await call(world, admin, 'GET', `/api/tasks/${taskId(tenant)}/log`))
      expect(logs[0]?.log).toBe(`log of ${taskId(tenant)}`)
    })

    it("answers 404 for the other tenant's task without fetching its logs", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'GET', `/api/tasks/${taskId(foreign)}/log`)
      expect(response.status).toBe(404)
      expect(world.conductor.calls('GET', `/api/tasks/${taskId(foreign)}/log`)).toEqual([])
    })

    it.each(['a%20b', 'x'.repeat(65)])(
      'answers 404 for the hostile id %j without calling Conductor',
      async (id) => {
        const world = buildGateway()
        expect((await call(world, admin, 'GET', `/api/tasks/${id}/log`)).status).toBe(404)
        expect(world.conductor.requests).toEqual([])
      }
    )
  })

  describe('GET /api/tasks/queue/all', () => {
    it("shows only the tenant's domain queues, de-prefixed", async () => {
      const world = buildGateway()
      world.conductor.queues.set(`${tenant}:GLOBAL___notify`, [{}, {}])
      world.conductor.queues.set(`${foreign}:GLOBAL___notify`, [{}])
      const sizes = await jsonOf<Record<string, number>>(
        await call(world, admin, 'GET', '/api/tasks/queue/all')
      )
      expect(sizes).toEqual({ charge: 1, GLOBAL___notify: 2 })
    })
  })

  it.each([
    ['GET', '/api/tasks/poll/charge', undefined],
    ['GET', '/api/tasks/poll/batch/charge', undefined],
    ['POST', '/api/tasks', { taskId: 'x' }],
    ['GET', '/api/tasks/x/log', undefined],
    ['GET', '/api/tasks/queue/all', undefined],
  ])('answers an operator 403 on %s %s without calling Conductor', async (method, path, body) => {
    const world = buildGateway()
    expect((await call(world, operator, method, path, { body })).status).toBe(403)
    expect(world.conductor.requests).toEqual([])
  })
})
