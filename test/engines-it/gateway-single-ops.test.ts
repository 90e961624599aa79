/**
 * @module The routes the official SDKs and the UI call on one execution or task, against the real
 * Conductor: start by name, pause/resume/terminate/restart/retry, task read/log/update-v2 and the
 * definitions' names and versions — each for its tenant, and a 404 for the other tenant that
 * leaves the run as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorld, simpleDef, type Tenant, type World } from './gateway-world.ts'
import { eventually } from './http.ts'

let world: World
let a: Tenant
let b: Tenant

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>

/** The run's status as Conductor itself holds it. */
async function statusOf(id: string): Promise<unknown> {
  return (await json(await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`))).status
}

async function waitForStatus(id: string, status: string): Promise<void> {
  await eventually(async () => ((await statusOf(id)) === status ? true : undefined))
}

beforeAll(async () => {
  world = await createWorld({ mode: 'headers' })
  ;[a, b] = world.tenants
  for (const tenant of world.tenants) {
    const put = await world.call(tenant, 'admin', 'PUT', '/api/metadata/workflow', [
      simpleDef('single_ops', 'step', ['OPERATOR']),
      simpleDef(`only_${tenant.name}`, 'step'),
    ])
    expect(put.status, await put.clone().text()).toBe(200)
  }
})

afterAll(async () => {
  await world?.close()
})

describe('one execution through the gateway', () => {
  it('starts by name, is operated by its tenant only, and its task is read, logged and updated', async () => {
    const started = await world.call(
      a,
      'admin',
      'POST',
      '/api/workflow/single_ops?version=1&correlationId=x',
      {
        order: 7,
      }
    )
    expect(started.status, await started.clone().text()).toBe(200)
    const id = (await started.text()).trim()
    const stored = await json(await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`))
    expect(stored).toMatchObject({
      workflowName: `${a.name}___single_ops`,
      correlationId: a.user('admin'),
      input: { order: 7 },
      taskToDomain: { '*': a.name },
    })
    const withoutTasks = await json(
      await world.call(a, 'admin', 'GET', `/api/workflow/${id}?includeTasks=False`)
    )
    expect(withoutTasks.tasks ?? []).toEqual([])

    // The other tenant (and the tenant's operator, on the admin's run) gets 404 for every operation.
    const ops: Array<[string, string]> = [
      ['PUT', `/api/workflow/${id}/pause`],
      ['PUT', `/api/workflow/${id}/resume`],
      ['POST', `/api/workflow/${id}/retry`],
      ['POST', `/api/workflow/${id}/restart`],
      ['DELETE', `/api/workflow/${id}?reason=intruder`],
    ]
    for (const [method, path] of ops) {
      expect((await world.call(b, 'admin', method, path)).status, `${method} ${path}`).toBe(404)
      expect((await world.call(a, 'operator', method, path)).status, `${method} ${path}`).toBe(404)
    }
    expect(await statusOf(id)).toBe('RUNNING')

    expect((await world.call(a, 'admin', 'PUT', `/api/workflow/${id}/pause`)).ok).toBe(true)
    await waitForStatus(id, 'PAUSED')
    expect((await world.call(a, 'admin', 'PUT', `/api/workflow/${id}/resume`)).ok).toBe(true)
    await waitForStatus(id, 'RUNNING')

    // The task: polled in a's domain, read, logged and failed through update-v2.
    const polled = await eventually(async () => {
      const response = await world.call(a, 'admin', 'GET', '/api/tasks/poll/batch/step?count=5&timeout=500')
      const tasks = (await response.json()) as Array<Record<string, unknown>>
      return tasks.find((task) => task.workflowInstanceId === id)
    })
    const taskId = String(polled.taskId)
    const task = await json(await world.call(a, 'admin', 'GET', `/api/tasks/${taskId}`))
    expect(task).toMatchObject({ taskId, taskType: 'step', workflowType: 'single_ops' })
    expect(JSON.stringify(task)).not.toContain(`${a.name}___`)
    expect((await world.call(b, 'admin', 'GET', `/api/tasks/${taskId}`)).status).toBe(404)

    expect((await world.call(b, 'admin', 'POST', `/api/tasks/${taskId}/log`, 'from b')).status).toBe(404)
    expect((await world.call(a, 'admin', 'POST', `/api/tasks/${taskId}/log`, 'charging card')).ok).toBe(true)
    const logs = await (await world.conductor('GET', `/api/tasks/${taskId}/log`)).text()
    expect(logs).toContain('charging card')
    expect(logs).not.toContain('from b')

    const failure = {
      workflowInstanceId: id,
      taskId,
      status: 'FAILED_WITH_TERMINAL_ERROR',
      reasonForIncompletion: 'card declined',
    }
    expect((await world.call(b, 'admin', 'POST', '/api/tasks/update-v2', failure)).status).toBe(404)
    expect(await statusOf(id)).toBe('RUNNING')
    const updated = await world.call(a, 'admin', 'POST', '/api/tasks/update-v2', failure)
    expect(updated.status, await updated.clone().text()).toBeLessThan(300)
    await waitForStatus(id, 'FAILED')

    expect((await world.call(b, 'admin', 'POST', `/api/workflow/${id}/retry`)).status).toBe(404)
    expect(await statusOf(id)).toBe('FAILED')
    const retried = await world.call(
      a,
      'admin',
      'POST',
      `/api/workflow/${id}/retry?resumeSubworkflowTasks=False`
    )
    expect(retried.status, await retried.clone().text()).toBeLessThan(300)
    await waitForStatus(id, 'RUNNING')

    const terminated = await world.call(a, 'admin', 'DELETE', `/api/workflow/${id}?reason=customer%20left`)
    expect(terminated.status, await terminated.clone().text()).toBeLessThan(300)
    await waitForStatus(id, 'TERMINATED')
    const ended = await json(await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`))
    expect(String(ended.reasonForIncompletion)).toContain('customer left')

    expect((await world.call(b, 'admin', 'POST', `/api/workflow/${id}/restart`)).status).toBe(404)
    expect(await statusOf(id)).toBe('TERMINATED')
    const restarted = await world.call(
      a,
      'admin',
      'POST',
      `/api/workflow/${id}/restart?useLatestDefinitions=False`
    )
    expect(restarted.status, await restarted.clone().text()).toBeLessThan(300)
    await waitForStatus(id, 'RUNNING')
    await world.call(a, 'admin', 'DELETE', `/api/workflow/${id}`)
  })

  it("lets an operator operate the run they started, and not another tenant's by name", async () => {
    const started = await world.call(a, 'operator', 'POST', '/api/workflow/single_ops', {})
    expect(started.status, await started.clone().text()).toBe(200)
    const id = (await started.text()).trim()
    expect((await world.call(a, 'operator', 'PUT', `/api/workflow/${id}/pause`)).ok).toBe(true)
    await waitForStatus(id, 'PAUSED')
    expect((await world.call(a, 'operator', 'DELETE', `/api/workflow/${id}`)).ok).toBe(true)
    await waitForStatus(id, 'TERMINATED')
    // b's admin-only definition is not a's to start, by either spelling.
    expect((await world.call(a, 'admin', 'POST', `/api/workflow/only_${b.name}`, {})).status).toBe(404)
    expect(
      (await world.call(a, 'admin', 'POST', `/api/workflow/${b.name}___only_${b.name}`, {})).status
    ).toBe(400)
  })
})

describe('GET /api/metadata/workflow/names-and-versions', () => {
  it("lists the tenant's definitions only, prefixes removed, and the labelled ones for operators", async () => {
    const admin = await json(await world.call(a, 'admin', 'GET', '/api/metadata/workflow/names-and-versions'))
    expect(Object.keys(admin)).toEqual(expect.arrayContaining(['single_ops', `only_${a.name}`]))
    expect(Object.keys(admin)).not.toContain(`only_${b.name}`)
    expect(JSON.stringify(admin)).not.toContain('___')
    expect(admin.single_ops).toEqual([expect.objectContaining({ name: 'single_ops', version: 1 })])
    const operator = await json(
      await world.call(a, 'operator', 'GET', '/api/metadata/workflow/names-and-versions')
    )
    expect(Object.keys(operator)).toContain('single_ops')
    expect(Object.keys(operator)).not.toContain(`only_${a.name}`)
  })
})
