/**
 * @module The rest of the gateway's route inventory against the real Conductor, in both identity
 * modes (Keycloak tokens, trusted headers): task definitions, event handlers, an execution's
 * family, removal, the /proxy/api paths of workflow-proxy clients and /proxy/editableworkflows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorld, type IdentityMode, simpleDef, type Tenant, type World } from './gateway-world.ts'

const json = async (response: Response): Promise<Record<string, unknown>> =>
  (await response.json()) as Record<string, unknown>

describe.each<IdentityMode>(['jwt', 'headers'])('gateway routes with %s identity', (mode) => {
  let world: World
  let a: Tenant
  let b: Tenant

  beforeAll(async () => {
    world = await createWorld({ mode })
    ;[a, b] = world.tenants
  })

  afterAll(async () => {
    await world?.close()
  })

  it("manages the tenant's task definitions and shows shared GLOBAL___ ones read-only", async () => {
    const created = await world.call(a, 'admin', 'POST', '/api/metadata/taskdefs', [
      { name: 'charge', retryCount: 1, timeoutSeconds: 60, responseTimeoutSeconds: 30 },
    ])
    expect(created.status, await created.clone().text()).toBe(200)
    expect((await world.conductor('GET', `/api/metadata/taskdefs/${a.name}___charge`)).status).toBe(200)
    await world.conductor('POST', '/api/metadata/taskdefs', [
      {
        name: 'GLOBAL___shared',
        retryCount: 0,
        timeoutSeconds: 60,
        responseTimeoutSeconds: 30,
        ownerEmail: 'ops@x.test',
      },
    ])
    const list = (await (await world.call(a, 'admin', 'GET', '/api/metadata/taskdefs')).json()) as Array<{
      name: string
    }>
    const names = list.map((def) => def.name)
    expect(names).toContain('charge')
    expect(names).toContain('GLOBAL___shared')
    expect(names.some((name) => name.includes(b.name) || name.startsWith(`${a.name}___`))).toBe(false)
    expect((await world.call(b, 'admin', 'GET', '/api/metadata/taskdefs/charge')).status).toBe(404)
    expect((await world.call(a, 'admin', 'DELETE', '/api/metadata/taskdefs/GLOBAL___shared')).status).toBe(
      400
    )
    expect((await world.conductor('GET', '/api/metadata/taskdefs/GLOBAL___shared')).status).toBe(200)
    expect((await world.call(a, 'operator', 'GET', '/api/metadata/taskdefs')).status).toBe(403)
    expect((await world.call(a, 'admin', 'DELETE', '/api/metadata/taskdefs/charge')).status).toBe(200)
    expect((await world.conductor('GET', `/api/metadata/taskdefs/${a.name}___charge`)).status).toBe(404)
  })

  it('stores event handlers confined to the tenant and lists only its own', async () => {
    await world.call(a, 'admin', 'PUT', '/api/metadata/workflow', [simpleDef('on_done', 'react')])
    const handler = {
      name: 'react_to_order',
      event: 'conductor:order:charge_ref',
      active: true,
      actions: [{ action: 'start_workflow', start_workflow: { name: 'on_done', version: 1 } }],
    }
    const created = await world.call(a, 'admin', 'POST', '/api/event', handler)
    expect(created.status, await created.clone().text()).toBe(200)
    const stored = (await (await world.conductor('GET', '/api/event')).json()) as Array<
      Record<string, unknown>
    >
    const mine = stored.find((item) => item.name === `${a.name}___react_to_order`)
    expect(mine?.event).toBe(`conductor:${a.name}___order:charge_ref`)
    expect(JSON.stringify(mine?.actions)).toContain(`"taskToDomain":{"*":"${a.name}"}`)
    const listA = (await (await world.call(a, 'admin', 'GET', '/api/event')).json()) as Array<{
      name: string
    }>
    expect(listA.map((item) => item.name)).toContain('react_to_order')
    const listB = (await (await world.call(b, 'admin', 'GET', '/api/event')).json()) as Array<{
      name: string
    }>
    expect(listB.map((item) => item.name)).not.toContain('react_to_order')
    const sqs = await world.call(a, 'admin', 'POST', '/api/event', {
      ...handler,
      name: 'sqs',
      event: 'sqs:queue',
    })
    expect(sqs.status).toBe(400)
    expect((await world.call(a, 'admin', 'DELETE', '/api/event/react_to_order')).status).toBe(200)
  })

  it('returns an execution with all its sub-workflows, finds only it in a top-level search, and refuses others', async () => {
    await world.call(a, 'admin', 'PUT', '/api/metadata/workflow', [
      simpleDef('child', 'child_task', ['OPERATOR']),
      {
        ...simpleDef('parent', 'unused', ['OPERATOR']),
        tasks: [
          {
            name: 'run_child',
            taskReferenceName: 'child_ref',
            type: 'SUB_WORKFLOW',
            subWorkflowParam: { name: 'child', version: 1 },
          },
        ],
      },
    ])
    const started = await world.call(a, 'operator', 'POST', '/api/workflow', { name: 'parent', version: 1 })
    expect(started.status, await started.clone().text()).toBe(200)
    const id = (await started.text()).trim()
    const family = await (async () => {
      for (let i = 0; i < 40; i++) {
        const body = await json(await world.call(a, 'operator', 'GET', `/api/workflow/${id}/family`))
        if ((body.subWorkflows as unknown[]).length > 0) return body
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
      throw new Error('the sub-workflow never appeared')
    })()
    const child = (family.subWorkflows as Array<Record<string, unknown>>)[0] ?? {}
    const childWorkflow = (child.workflow ?? {}) as Record<string, unknown>
    expect(child.parentTaskReferenceName).toBe('child_ref')
    expect(childWorkflow.workflowName).toBe('child')
    expect(childWorkflow.correlationId).toBe(a.user('operator'))
    const childId = String(childWorkflow.workflowId)
    const query = `query=${encodeURIComponent('workflowType IN (parent,child)')}`
    const all = (await json(await world.call(a, 'operator', 'GET', `/api/workflow/search?${query}`)))
      .results as Array<{
      workflowId: string
    }>
    expect(all.map((hit) => hit.workflowId).sort()).toEqual([id, childId].sort())
    const top = (
      await json(await world.call(a, 'operator', 'GET', `/api/workflow/search/top-level?${query}`))
    ).results as Array<{ workflowId: string }>
    expect(top.map((hit) => hit.workflowId)).toEqual([id])
    expect((await world.call(b, 'admin', 'GET', `/api/workflow/${id}/family`)).status).toBe(404)
    expect((await world.call(b, 'admin', 'DELETE', `/api/workflow/${id}/remove`)).status).toBe(404)
    expect((await world.conductor('GET', `/api/workflow/${id}?includeTasks=false`)).status).toBe(200)
  })

  it('confines executions to the tenant and the user who started them', async () => {
    await world.call(a, 'admin', 'PUT', '/api/metadata/workflow', [
      simpleDef('ticket', 'triage', ['OPERATOR']),
    ])
    await world.call(b, 'admin', 'PUT', '/api/metadata/workflow', [
      simpleDef('ticket', 'triage', ['OPERATOR']),
    ])
    const start = async (tenant: Tenant, role: 'admin' | 'operator') =>
      (
        await (await world.call(tenant, role, 'POST', '/api/workflow', { name: 'ticket', version: 1 })).text()
      ).trim()
    const mine = await start(a, 'operator')
    const adminsOwn = await start(a, 'admin')
    const theirs = await start(b, 'operator')
    const stored = await json(await world.conductor('GET', `/api/workflow/${mine}?includeTasks=false`))
    expect(stored.taskToDomain).toEqual({ '*': a.name })
    expect(stored.correlationId).toBe(a.user('operator'))
    expect((await world.call(a, 'operator', 'GET', `/api/workflow/${mine}`)).status).toBe(200)
    expect((await world.call(a, 'operator', 'GET', `/api/workflow/${adminsOwn}`)).status).toBe(404)
    expect((await world.call(a, 'admin', 'GET', `/api/workflow/${theirs}`)).status).toBe(404)
    const query = `query=${encodeURIComponent('workflowType IN (ticket)')}`
    const found = (await json(await world.call(a, 'operator', 'GET', `/api/workflow/search?${query}`)))
      .results as Array<{
      workflowId: string
    }>
    expect(found.map((hit) => hit.workflowId)).toEqual([mine])
  })

  it('serves the same routes under /proxy/api, and tells who may edit definitions', async () => {
    const viaProxy = await world.call(a, 'admin', 'GET', '/proxy/api/metadata/workflow')
    expect(viaProxy.status).toBe(200)
    expect(await (await world.call(a, 'admin', 'GET', '/proxy/editableworkflows')).json()).toBe(true)
    expect(await (await world.call(a, 'operator', 'GET', '/proxy/editableworkflows')).json()).toBe(false)
  })

  it('answers 404 for a route outside the whitelist, and 405 for a method it does not serve', async () => {
    const response = await world.call(a, 'admin', 'GET', '/api/admin/config')
    expect(response.status).toBe(404)
    // No PATCH on an execution: the methods that path serves are named in Allow.
    const patched = await world.call(a, 'admin', 'PATCH', '/api/workflow/order', {})
    expect(patched.status).toBe(405)
    const allowed = (patched.headers.get('allow') ?? '').split(', ')
    expect(allowed).toEqual(expect.arrayContaining(['GET', 'POST', 'DELETE']))
    expect(allowed).not.toContain('PATCH')
  })
})
