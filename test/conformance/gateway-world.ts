/**
 * @module The two-tenant world the gateway tests run in: a flowgate app in trusted-header mode
 * whose Conductor is the in-process fake, seeded with definitions, executions, tasks, queues and
 * event handlers of tenants `acme` and `globex`, and an admin and an operator in each.
 */

import type { Hono } from 'hono'
import { resolveConfig } from '../../src/config/resolve.ts'
import type { AppEnv } from '../../src/env.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { createMainApp } from '../../src/portable.ts'
import { createFakeConductor, type FakeConductor } from './fake-conductor.ts'
import { latest } from './fake-conductor-routes.ts'

export const CONDUCTOR_URL = 'http://conductor.test:8080'

export interface User {
  tenant: string
  user: string
  groups: string
  roles?: string
}

/** Admin by group `network-admin`, operator by group `OPERATOR`, in each tenant. */
export const ALICE: User = { tenant: 'acme', user: 'alice@acme.test', groups: 'network-admin' }
export const OSCAR: User = { tenant: 'acme', user: 'oscar@acme.test', groups: 'OPERATOR' }
export const GINA: User = { tenant: 'globex', user: 'gina@globex.test', groups: 'network-admin' }
export const OTTO: User = { tenant: 'globex', user: 'otto@globex.test', groups: 'OPERATOR' }
export const USERS = [ALICE, OSCAR, GINA, OTTO] as const

/** The execution ids of the seed: `<tenant>-<user>-1`. */
export function execId(user: User): string {
  return `${user.tenant}-${user.user.split('@')[0]}-1`
}

export function taskId(tenant: string): string {
  return `${tenant}-task-1`
}

export function adminOf(tenant: string): User {
  return tenant === 'acme' ? ALICE : GINA
}

export function operatorOf(tenant: string): User {
  return tenant === 'acme' ? OSCAR : OTTO
}

export function other(tenant: string): string {
  return tenant === 'acme' ? 'globex' : 'acme'
}

/** The identity headers an authenticating ingress would set. */
export function headersOf(user: User, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = {
    'x-tenant-id': user.tenant,
    from: user.user,
    'x-auth-user-groups': user.groups,
    ...extra,
  }
  if (user.roles !== undefined) headers['x-auth-user-roles'] = user.roles
  return headers
}

/** Seeds one tenant's objects under its `T___` prefix. */
export function seedTenant(fake: FakeConductor, tenant: string): void {
  const t = `${tenant}___`
  fake.addDef({
    name: `${t}labelled`,
    description: 'Orders - OPERATOR,TEST',
    ownerEmail: adminOf(tenant).user,
    tasks: [{ name: `${t}charge`, taskReferenceName: 'charge', type: 'SIMPLE' }],
  })
  fake.addDef({
    name: `${t}private`,
    description: 'accessible to admins only',
    ownerEmail: adminOf(tenant).user,
    tasks: [{ name: `${t}bar`, taskReferenceName: 'bar', type: 'TERMINATE' }],
    failureWorkflow: `${t}labelled`,
  })
  fake.addDef({
    name: `${t}notifier`,
    description: JSON.stringify({ description: 'notifies', labels: ['operator'] }),
    ownerEmail: adminOf(tenant).user,
    tasks: [
      { name: 'GLOBAL___notify', taskReferenceName: 'notify', type: 'SIMPLE' },
      {
        name: `${t}child`,
        taskReferenceName: 'child',
        type: 'SUB_WORKFLOW',
        subWorkflowParam: { name: `${t}labelled`, version: 1 },
      },
    ],
  })
  fake.taskDefs.set(`${t}charge`, { name: `${t}charge`, ownerEmail: adminOf(tenant).user, retryCount: 1 })
  for (const user of [adminOf(tenant), operatorOf(tenant)]) {
    const workflowName = user === adminOf(tenant) ? `${t}private` : `${t}labelled`
    fake.addExecution({
      workflowId: execId(user),
      workflowName,
      correlationId: user.user,
      createdBy: user.user,
      taskToDomain: { '*': tenant },
      input: { secret: `${tenant} input of ${user.user}` },
      workflowDefinition: latest(fake.defs.get(workflowName)),
      tasks: [
        {
          taskId: user === adminOf(tenant) ? `${tenant}-task-0` : taskId(tenant),
          taskType: `${t}charge`,
          taskDefName: `${t}charge`,
          referenceTaskName: 'charge',
          workflowType: workflowName,
          workflowInstanceId: execId(user),
          workflowTask: { name: `${t}charge`, taskReferenceName: 'charge', type: 'SIMPLE' },
        },
      ],
    })
  }
  fake.addTask(
    {
      taskId: taskId(tenant),
      taskType: `${t}charge`,
      taskDefName: `${t}charge`,
      referenceTaskName: 'charge',
      workflowType: `${t}labelled`,
      workflowInstanceId: execId(operatorOf(tenant)),
      domain: tenant,
      workflowTask: { name: `${t}charge`, taskReferenceName: 'charge', type: 'SIMPLE' },
      inputData: { secret: `${tenant} task input` },
    },
    `${tenant}:${t}charge`
  )
  fake.events.set(`${t}on_done`, {
    name: `${t}on_done`,
    event: `conductor:${t}labelled:charge`,
    active: true,
    actions: [
      {
        action: 'start_workflow',
        start_workflow: { name: `${t}private`, taskToDomain: { '*': tenant }, correlationId: 'x' },
      },
    ],
  })
}

/** Seeds both tenants plus shared GLOBAL___ objects and one definition mixing two tenants. */
export function seedWorld(fake: FakeConductor): void {
  seedTenant(fake, 'acme')
  seedTenant(fake, 'globex')
  fake.taskDefs.set('GLOBAL___notify', { name: 'GLOBAL___notify', ownerEmail: 'ops@example.test' })
  fake.queues.set('GLOBAL___notify', [])
  // Created behind the gateway's back: names acme but runs a globex task; acme must never see it.
  fake.addDef({
    name: 'acme___mixed',
    description: 'mixed - OPERATOR',
    ownerEmail: 'intruder@example.test',
    tasks: [{ name: 'globex___charge', taskReferenceName: 'steal', type: 'SIMPLE' }],
  })
}

export interface GatewayWorld {
  app: Hono<AppEnv>
  conductor: FakeConductor
  /** Log lines the app wrote. */
  lines: string[]
}

/**
 * A flowgate app in trusted-header mode in front of a freshly seeded fake Conductor.
 * @param toml extra configuration (TOML), e.g. `[conductor]\ntimeout_ms = 50`
 */
export function buildGateway(toml = '', seed = true): GatewayWorld {
  const conductor = createFakeConductor()
  if (seed) seedWorld(conductor)
  const text = `[auth]\nmode = "headers"\n[conductor]\nurl = "${CONDUCTOR_URL}"\n${toml}`
  const { config } = resolveConfig({ file: { path: 'gateway-test.toml', text: mergeSections(text) } })
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) })
  const { app } = createMainApp({
    config,
    logger,
    capabilities: { runtime: 'other', childProcess: false, fs: false, webSocketServer: false },
    fetch: conductor.fetch as typeof fetch,
  })
  return { app, conductor, lines }
}

/** TOML forbids a table or key twice: folds repeated `[section]` headers, a later key winning. */
function mergeSections(text: string): string {
  const sections = new Map<string, Map<string, string>>()
  let current = ''
  for (const line of text.split('\n')) {
    const header = /^\[([a-z_]+)\]$/.exec(line.trim())
    const key = /^([a-z_]+)\s*=/.exec(line.trim())?.[1]
    if (header?.[1]) current = header[1]
    else if (key) sections.set(current, (sections.get(current) ?? new Map()).set(key, line))
  }
  return [...sections]
    .map(([name, lines]) => `${name === '' ? '' : `[${name}]\n`}${[...lines.values()].join('\n')}`)
    .join('\n')
}
