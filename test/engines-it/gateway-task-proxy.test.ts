/**
 * @module The task proxy against the real Conductor, with the tenant list read from the real
 * Keycloak's realms: one GLOBAL___ worker serves two tenants' workflows through it; what else it
 * passes (only worker calls by default); its polls while Conductor is down and once it is back.
 */
import {
  type AddressInfo,
  connect,
  createServer as createNetServer,
  type Server as NetServer,
} from 'node:net'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { serveNode } from '../../src/runtime/node/node.ts'
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

describe('task proxy pass-through against the real Conductor', () => {
  it("refuses by default what workers never call: another tenant's execution, pause, definitions, queues, admin", async () => {
    const proxy = world.gateway.taskProxyUrl ?? ''
    const tenant = world.tenants[0]
    const started = await world.call(tenant, 'admin', 'POST', '/api/workflow', {
      name: 'notify_all',
      version: 1,
    })
    expect(started.status).toBe(200)
    const id = (await started.text()).trim()
    for (const [method, path] of [
      ['GET', '/api/admin/config'],
      ['GET', `/api/workflow/${id}`],
      ['PUT', `/api/workflow/${id}/pause`],
      ['GET', '/api/metadata/workflow'],
      ['GET', '/api/tasks/queue/all'],
      ['GET', `/api/tasks/poll/batch/x%2F..%2F..%2Fworkflow%2F${id}`],
      ['GET', `/API/workflow/${id}`],
      ['GET', `/api/workflow/${id}/`],
      ['HEAD', '/api/admin/config'],
      ['OPTIONS', '/api/admin/config'],
    ] as const) {
      const response = await fetch(`${proxy}${path}`, { method, signal: AbortSignal.timeout(10_000) })
      expect([method, path, response.status]).toEqual([method, path, 404])
    }
    // The pause never reached Conductor.
    const workflow = (await (
      await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`)
    ).json()) as {
      status: string
    }
    expect(workflow.status).toBe('RUNNING')
  })

  it('passes them all with pass_through = "all", as the original did', async () => {
    const open = await serveNode({
      config: resolveConfig({
        env: {
          FLOWGATE_SERVER_PORT: '0',
          FLOWGATE_TASK_PROXY_PORT: '0',
          FLOWGATE_TASK_PROXY_TENANTS: world.tenants.map((tenant) => tenant.name).join(','),
          FLOWGATE_TASK_PROXY_PASS_THROUGH: 'all',
          FLOWGATE_AUTH_MODE: 'headers',
          PROXY_TARGET: world.conductorUrl,
        },
      }).config,
      logger: createLogger({ level: 'silent' }),
    })
    try {
      for (const path of ['/api/admin/config', '/api/metadata/workflow', '/api/tasks/queue/all']) {
        const response = await fetch(`${open.taskProxyUrl}${path}`, { signal: AbortSignal.timeout(10_000) })
        expect([path, response.status]).toEqual([path, 200])
      }
    } finally {
      await open.close()
    }
  })
})

describe('task proxy polls while Conductor is down', () => {
  it('answers 502 at once and logs the outage once, then serves polls again when Conductor is back', async () => {
    // A port with nothing on it; later a relay to the real Conductor listens there.
    const { port } = await listening(createNetServer()).then(async (server) => {
      const address = server.address() as AddressInfo
      await new Promise((resolve) => server.close(resolve))
      return address
    })
    const lines: Array<Record<string, unknown>> = []
    const proxyServer = await serveNode({
      config: resolveConfig({
        env: {
          FLOWGATE_SERVER_PORT: '0',
          FLOWGATE_TASK_PROXY_PORT: '0',
          FLOWGATE_TASK_PROXY_TENANTS: world.tenants.map((tenant) => tenant.name).join(','),
          FLOWGATE_AUTH_MODE: 'headers',
          FLOWGATE_LOG_ACCESS: 'false',
          PROXY_TARGET: `http://127.0.0.1:${port}`,
        },
      }).config,
      logger: createLogger({ level: 'info', sink: (line) => lines.push(JSON.parse(line)) }),
    })
    const conductor = new URL(world.conductorUrl)
    let relay: NetServer | undefined
    try {
      const proxy = proxyServer.taskProxyUrl ?? ''
      for (let i = 0; i < 5; i++) {
        const batch = await fetch(`${proxy}/api/tasks/poll/batch/${TASK}?count=2&timeout=1000&workerid=w`)
        expect(batch.status).toBe(502)
        expect(((await batch.json()) as { code: string }).code).toBe('FG_ERR_UPSTREAM_UNAVAILABLE')
        expect((await fetch(`${proxy}/api/tasks/poll/${TASK}?workerid=w`)).status).toBe(502)
      }
      const warnings = () => lines.filter((line) => line.level === 'warn')
      expect(warnings()).toHaveLength(1)
      expect(JSON.stringify(lines)).not.toMatch(/"stack"/)
      relay = await listening(
        createNetServer((client) => {
          const upstream = connect(Number(conductor.port), conductor.hostname)
          client.pipe(upstream).pipe(client)
          client.on('error', () => upstream.destroy())
          upstream.on('error', () => client.destroy())
        }),
        port
      )
      const back = await fetch(`${proxy}/api/tasks/poll/batch/${TASK}?count=1&timeout=0&workerid=w`)
      expect(back.status).toBe(200)
      expect(Array.isArray(await back.json())).toBe(true)
      expect(lines.filter((line) => line.msg === 'task polls succeed again')).toHaveLength(1)
      expect(warnings()).toHaveLength(1)
    } finally {
      await proxyServer.close()
      relay?.close()
    }
  })
})

async function listening(server: NetServer, port = 0): Promise<NetServer> {
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return server
}
