/**
 * @module The Conductor gateway against the real Conductor (PostgreSQL persistence, queues and
 * index) with real Keycloak tokens: two tenants, admins and operators, and what Conductor really
 * holds afterwards — no cross-tenant read or write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorld, simpleDef, type Tenant, type World } from './gateway-world.ts'
import { eventually } from './http.ts'

let world: World
let a: Tenant
let b: Tenant

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>

beforeAll(async () => {
  world = await createWorld()
  ;[a, b] = world.tenants
  // Each tenant's admin registers a workflow the operators may run and one for admins only.
  for (const tenant of world.tenants) {
    const put = await world.call(tenant, 'admin', 'PUT', '/api/metadata/workflow', [
      simpleDef('order', 'charge', ['OPERATOR']),
      simpleDef('payroll', 'pay'),
    ])
    expect(put.status, await put.clone().text()).toBe(200)
  }
})

afterAll(async () => {
  await world?.close()
})

describe('workflow definitions', () => {
  it("are stored in Conductor under the tenant's prefix, with every task prefixed and the owner set", async () => {
    const stored = await world.conductor('GET', `/api/metadata/workflow/${a.name}___order?version=1`)
    expect(stored.status).toBe(200)
    const def = await json(stored)
    expect(def.ownerEmail).toBe(a.user('admin'))
    expect((def.tasks as Array<{ name: string }>)[0]?.name).toBe(`${a.name}___charge`)
  })

  it("list only the tenant's own, de-prefixed", async () => {
    const list = (await (await world.call(a, 'admin', 'GET', '/api/metadata/workflow')).json()) as Array<{
      name: string
    }>
    expect(list.map((def) => def.name).sort()).toEqual(['order', 'payroll'])
    expect(JSON.stringify(list)).not.toContain(b.name)
  })

  it('show an operator only those labelled for its groups', async () => {
    const list = (await (await world.call(a, 'operator', 'GET', '/api/metadata/workflow')).json()) as Array<{
      name: string
    }>
    expect(list.map((def) => def.name)).toEqual(['order'])
    expect((await world.call(a, 'operator', 'GET', '/api/metadata/workflow/payroll')).status).toBe(403)
  })

  it("refuse another tenant's prefixed name, and deleting it leaves it in Conductor", async () => {
    const name = `${b.name}___order`
    expect((await world.call(a, 'admin', 'GET', '/api/metadata/workflow/order')).status).toBe(200)
    expect((await world.call(a, 'admin', 'GET', `/api/metadata/workflow/${name}`)).status).toBe(400)
    const removed = await world.call(a, 'admin', 'DELETE', `/api/metadata/workflow/${name}/1`)
    expect(removed.status).toBe(400)
    expect((await world.conductor('GET', `/api/metadata/workflow/${name}?version=1`)).status).toBe(200)
  })

  it('may be written by admins only', async () => {
    const response = await world.call(
      a,
      'operator',
      'POST',
      '/api/metadata/workflow',
      simpleDef('sneaky', 'x', ['OPERATOR'])
    )
    expect(response.status).toBe(403)
    expect((await world.conductor('GET', `/api/metadata/workflow/${a.name}___sneaky`)).status).toBe(404)
  })

  it('refuse a server-run task type hidden in a fork branch, before Conductor sees it', async () => {
    const def = {
      ...simpleDef('forked', 'charge'),
      tasks: [
        {
          name: 'fork',
          taskReferenceName: 'fork_ref',
          type: 'FORK_JOIN',
          forkTasks: [
            [
              {
                name: 'call_out',
                taskReferenceName: 'call_ref',
                type: 'HTTP',
                inputParameters: { http_request: { uri: 'http://x', method: 'GET' } },
              },
            ],
          ],
        },
        { name: 'join', taskReferenceName: 'join_ref', type: 'JOIN', joinOn: ['call_ref'] },
      ],
    }
    const response = await world.call(a, 'admin', 'POST', '/api/metadata/workflow', def)
    expect(response.status).toBe(400)
    expect((await json(response)).code).toBe('FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN')
    expect((await world.conductor('GET', `/api/metadata/workflow/${a.name}___forked`)).status).toBe(404)
  })
})

describe('executions', () => {
  let operatorRun = ''
  let adminRun = ''
  let otherTenantRun = ''

  beforeAll(async () => {
    const start = async (tenant: Tenant, role: 'admin' | 'operator', name: string) => {
      const response = await world.call(tenant, role, 'POST', '/api/workflow', {
        name,
        version: 1,
        input: { n: 1 },
      })
      expect(response.status, await response.clone().text()).toBe(200)
      return (await response.text()).trim()
    }
    operatorRun = await start(a, 'operator', 'order')
    adminRun = await start(a, 'admin', 'payroll')
    otherTenantRun = await start(b, 'admin', 'order')
  })

  it('start in the tenant domain, correlated to and created by the user', async () => {
    const workflow = await json(
      await world.conductor('GET', `/api/workflow/${operatorRun}?includeTasks=true`)
    )
    expect(workflow.workflowName).toBe(`${a.name}___order`)
    expect(workflow.taskToDomain).toEqual({ '*': a.name })
    expect(workflow.correlationId).toBe(a.user('operator'))
    const task = (workflow.tasks as Array<Record<string, unknown>>)[0]
    expect(task?.domain).toBe(a.name)
  })

  it('refuse an operator a workflow not labelled for it, and any client taskToDomain', async () => {
    expect((await world.call(a, 'operator', 'POST', '/api/workflow', { name: 'payroll' })).status).toBe(403)
    const spoof = await world.call(a, 'admin', 'POST', '/api/workflow', {
      name: 'order',
      taskToDomain: { '*': b.name },
    })
    expect(spoof.status).toBe(400)
    const inline = await world.call(a, 'admin', 'POST', '/api/workflow', {
      name: 'order',
      workflowDef: simpleDef('x', 'y'),
    })
    expect(inline.status).toBe(400)
  })

  it('are readable de-prefixed by their owner and the admin, and 404 for everyone else', async () => {
    const own = await world.call(a, 'operator', 'GET', `/api/workflow/${operatorRun}`)
    expect(own.status).toBe(200)
    const body = await json(own)
    expect(body.workflowName).toBe('order')
    expect(JSON.stringify(body)).not.toContain(`${a.name}___`)
    expect((await world.call(a, 'admin', 'GET', `/api/workflow/${operatorRun}`)).status).toBe(200)
    expect((await world.call(a, 'operator', 'GET', `/api/workflow/${adminRun}`)).status).toBe(404)
    const foreign = await world.call(a, 'admin', 'GET', `/api/workflow/${otherTenantRun}`)
    expect(foreign.status).toBe(404)
    expect(await foreign.text()).not.toContain(b.name)
  })

  it('search finds the tenant-wide set for admins and only their own for operators', async () => {
    const ids = async (tenant: Tenant, role: 'admin' | 'operator') => {
      const response = await world.call(
        tenant,
        role,
        'GET',
        '/api/workflow/search?size=100&query=status%20IN%20(RUNNING)'
      )
      expect(response.status).toBe(200)
      const found = (await json(response)).results as Array<{ workflowId: string; workflowType: string }>
      for (const hit of found) expect(hit.workflowType).not.toContain('___')
      return found.map((hit) => hit.workflowId)
    }
    const admin = await eventually(async () => {
      const found = await ids(a, 'admin')
      return found.includes(operatorRun) && found.includes(adminRun) ? found : undefined
    })
    expect(admin).not.toContain(otherTenantRun)
    expect(await ids(a, 'operator')).toEqual([operatorRun])
    expect(await ids(b, 'admin')).toEqual([otherTenantRun])
  })

  it('refuse a search query the index back-ends cannot confine', async () => {
    const response = await world.call(
      a,
      'admin',
      'GET',
      `/api/workflow/search?query=${encodeURIComponent("workflowType = 'x' OR status = 'RUNNING'")}`
    )
    expect(response.status).toBe(400)
  })

  it('bulk-terminate only what the caller may touch, and report the rest as not found', async () => {
    const response = await world.call(a, 'operator', 'POST', '/api/workflow/bulk/terminate', [
      operatorRun,
      adminRun,
      otherTenantRun,
    ])
    expect(response.status).toBe(200)
    const result = await json(response)
    expect(result.bulkSuccessfulResults).toEqual([operatorRun])
    expect(Object.keys(result.bulkErrorResults as object).sort()).toEqual([adminRun, otherTenantRun].sort())
    const status = async (id: string) =>
      (await json(await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`))).status
    expect(await status(operatorRun)).toBe('TERMINATED')
    expect(await status(adminRun)).toBe('RUNNING')
    expect(await status(otherTenantRun)).toBe('RUNNING')
  })
})

describe('tasks', () => {
  it("are polled by an admin in the tenant's domain only, completed, and refused to the other tenant", async () => {
    const started = await world.call(b, 'admin', 'POST', '/api/workflow', { name: 'payroll', version: 1 })
    const runId = (await started.text()).trim()
    // Tenant a has a payroll run of its own: its admin gets that task, never tenant b's.
    const ownOnly = await world.call(a, 'admin', 'GET', '/api/tasks/poll/batch/pay?count=5&timeout=200')
    const ownTasks = (await ownOnly.json()) as Array<Record<string, unknown>>
    expect(ownTasks.every((task) => task.workflowInstanceId !== runId)).toBe(true)
    const polled = await eventually(async () => {
      const response = await world.call(
        b,
        'admin',
        'GET',
        '/api/tasks/poll/batch/pay?count=1&timeout=500&workerid=w1'
      )
      const tasks = (await response.json()) as Array<Record<string, unknown>>
      return tasks.find((task) => task.workflowInstanceId === runId)
    })
    expect(polled.taskType).toBe('pay')
    const result = {
      workflowInstanceId: runId,
      taskId: polled.taskId,
      status: 'COMPLETED',
      outputData: { paid: true },
    }
    expect((await world.call(a, 'admin', 'POST', '/api/tasks', result)).status).toBe(404)
    const done = await world.call(b, 'admin', 'POST', '/api/tasks', result)
    expect(done.status).toBe(200)
    const workflow = await json(await world.conductor('GET', `/api/workflow/${runId}?includeTasks=false`))
    expect(workflow.status).toBe('COMPLETED')
  })

  it("list only the tenant's queues", async () => {
    const sizes = await json(await world.call(a, 'admin', 'GET', '/api/tasks/queue/all'))
    for (const queue of Object.keys(sizes)) expect(queue).not.toMatch(/___|:/)
  })
})

describe('identity', () => {
  it('answers 401 with a challenge for no token, a forged token, or a token of an unknown realm', async () => {
    const url = `${world.gateway.url}/api/metadata/workflow`
    const none = await fetch(url)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/)
    const token = await a.token('admin')
    const [header, payload] = token.split('.')
    const forgedPayload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()),
        groups: ['network-admin'],
        preferred_username: 'mallory',
      })
    ).toString('base64url')
    const forged = await fetch(url, {
      headers: { authorization: `Bearer ${header}.${forgedPayload}.${token.split('.')[2]}` },
    })
    expect(forged.status).toBe(401)
  })

  it("cannot be switched to another tenant with the original's trusted headers in jwt mode", async () => {
    const response = await fetch(`${world.gateway.url}/api/metadata/workflow`, {
      headers: {
        authorization: `Bearer ${await a.token('operator')}`,
        'x-tenant-id': b.name,
        'x-auth-user-groups': 'network-admin',
      },
    })
    const names = ((await response.json()) as Array<{ name: string }>).map((def) => def.name)
    expect(names).toEqual(['order'])
  })
})
