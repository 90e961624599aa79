/**
 * @module The task proxy against the real Conductor, with the tenant list read from the real
 * Keycloak's realms: one GLOBAL___ worker serves two tenants' workflows through it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createWorld, type World } from './gateway-world.ts'
import { eventually } from './http.ts'

let world: World
const TASK = 'GLOBAL___notify'

beforeAll(async () => {
  const engines = inject('engines')
  world = await createWorld({
    env: {
      FLOWGATE_TASK_PROXY_ENABLED: 'true',
      FLOWGATE_TASK_PROXY_PORT: '0',
      FLOWGATE_TASK_PROXY_TENANT_SOURCE: 'keycloak',
      KEYCLOAK_HOST: engines.keycloakUrl,
      KEYCLOAK_ADMIN_CLIENT_USERNAME: engines.keycloakAdmin.username,
      KEYCLOAK_ADMIN_CLIENT_PASSWORD: engines.keycloakAdmin.password,
      FLOWGATE_TASK_PROXY_REFRESH_MS: '1000',
    },
  })
  for (const tenant of world.tenants) {
    const def = {
      name: 'notify_all',
      version: 1,
      schemaVersion: 2,
      tasks: [{ name: TASK, taskReferenceName: 'notify_ref', type: 'SIMPLE' }],
    }
    const put = await world.call(tenant, 'admin', 'PUT', '/api/metadata/workflow', [def])
    expect(put.status, await put.clone().text()).toBe(200)
  }
})

afterAll(async () => {
  await world?.close()
})

describe('task proxy with Keycloak tenants', () => {
  it('becomes ready once the realm list is loaded, and lists the new realms as tenants', async () => {
    const proxy = world.gateway.taskProxyUrl ?? ''
    expect(proxy).not.toBe('')
    await eventually(async () => ((await fetch(`${proxy}/readyz`)).status === 200 ? true : undefined))
  })

  it("serves one shared worker both tenants' tasks, never more than count, and passes its updates through", async () => {
    const proxy = world.gateway.taskProxyUrl ?? ''
    const runs = new Map<string, string>()
    for (const tenant of world.tenants) {
      for (let i = 0; i < 2; i++) {
        const response = await world.call(tenant, 'admin', 'POST', '/api/workflow', {
          name: 'notify_all',
          version: 1,
        })
        expect(response.status).toBe(200)
        runs.set((await response.text()).trim(), tenant.name)
      }
    }
    const seen = new Map<string, Record<string, unknown>>()
    await eventually(async () => {
      const response = await fetch(
        `${proxy}/api/tasks/poll/batch/${TASK}?count=3&timeout=500&workerid=shared`
      )
      expect(response.status).toBe(200)
      const tasks = (await response.json()) as Array<Record<string, unknown>>
      expect(tasks.length).toBeLessThanOrEqual(3)
      for (const task of tasks) {
        if (runs.has(String(task.workflowInstanceId))) seen.set(String(task.taskId), task)
      }
      return seen.size >= runs.size ? true : undefined
    }, 30_000)
    const domains = new Set([...seen.values()].map((task) => task.domain))
    expect(domains).toEqual(new Set(world.tenants.map((tenant) => tenant.name)))
    for (const task of seen.values()) {
      const update = await fetch(`${proxy}/api/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          workflowInstanceId: task.workflowInstanceId,
          taskId: task.taskId,
          status: 'COMPLETED',
          outputData: { sent: true },
        }),
      })
      expect(update.status).toBe(200)
    }
    for (const id of runs.keys()) {
      const status = await eventually(async () => {
        const workflow = (await (
          await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`)
        ).json()) as {
          status: string
        }
        return workflow.status === 'COMPLETED' ? workflow.status : undefined
      })
      expect(status).toBe('COMPLETED')
    }
  })
})
