/**
 * @module The hostile review's dynamic-fork attacks against the real Conductor: a tenant that feeds
 * a dynamic fork (or a DYNAMIC / START_WORKFLOW task) from workflow input or task output must not
 * run a task, sub-workflow or domain that a stored definition could not have.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createWorld, simpleDef, type Tenant, type World } from './gateway-world.ts'
import { eventually } from './http.ts'

/** A Conductor `${…}` expression (built, so it is not mistaken for a template). */
const expr = (path: string): string => `$${'{'}${path}}`

let world: World
let a: Tenant
let b: Tenant

type Json = Record<string, unknown>

const join = { name: 'join', taskReferenceName: 'join', type: 'JOIN' }

function def(name: string, tasks: unknown[], labels = ['OPERATOR']): Json {
  return { ...simpleDef(name, 'unused', labels), tasks }
}

/** What an attacker puts where a fork's task list or items are read: every way to name another tenant. */
function hostileItems(): unknown[] {
  const conductorApi = `${world.conductorUrl}/api/admin/config`
  return [
    {
      name: `${b.name}___secret`,
      taskReferenceName: 'steal',
      type: 'HTTP',
      inputParameters: { http_request: { uri: conductorApi, method: 'GET' } },
      http_request: { uri: conductorApi, method: 'GET' },
    },
    {
      name: `${b.name}___wf1`,
      taskReferenceName: 'hop',
      type: 'SUB_WORKFLOW',
      subWorkflowParam: { name: `${b.name}___wf1`, version: 1, taskToDomain: { '*': b.name } },
      taskToDomain: { '*': b.name },
    },
    {
      name: 'js',
      taskReferenceName: 'js',
      type: 'INLINE',
      inputParameters: { evaluatorType: 'graaljs', expression: '1' },
      decisionCases: { x: [{ name: `${b.name}___secret`, taskReferenceName: 'nested', type: 'SIMPLE' }] },
    },
  ]
}

async function put(tenant: Tenant, definition: Json): Promise<Response> {
  return world.call(tenant, 'admin', 'PUT', '/api/metadata/workflow', [definition])
}

async function start(tenant: Tenant, name: string, input: Json, role: 'admin' | 'operator' = 'operator') {
  const started = await world.call(tenant, role, 'POST', '/api/workflow', { name, version: 1, input })
  expect(started.status, await started.clone().text()).toBe(200)
  return (await started.text()).trim()
}

async function execution(id: string): Promise<Json> {
  return (await (await world.conductor('GET', `/api/workflow/${id}?includeTasks=true`)).json()) as Json
}

/** The execution's tasks once its fork (or task) under `ref` has been scheduled. */
async function tasksAfter(id: string, count: number): Promise<Json[]> {
  return eventually(async () => {
    const tasks = (await execution(id)).tasks as Json[]
    return tasks.length >= count ? tasks : undefined
  }, 60_000)
}

/** Every task Conductor scheduled is tenant a's SIMPLE `work`, in tenant a's domain. */
function expectOnlyOwnWork(tasks: Json[], forked: number): void {
  const work = tasks.filter((task) => task.taskType === `${a.name}___work`)
  expect(work).toHaveLength(forked)
  for (const task of work) {
    expect(task.domain).toBe(a.name)
    expect((task.workflowTask as Json).type).toBe('SIMPLE')
  }
  const types = tasks.map((task) => String(task.taskType))
  for (const type of types) {
    expect(['FORK', 'JOIN', `${a.name}___work`, `${a.name}___produce`]).toContain(type)
  }
  expect(JSON.stringify(tasks.map((task) => [task.taskType, task.domain, task.subWorkflowId]))).not.toContain(
    b.name
  )
}

beforeAll(async () => {
  world = await createWorld({
    env: {
      FLOWGATE_CONDUCTOR_SYSTEM_TASKS:
        'SUB_WORKFLOW,SWITCH,DO_WHILE,FORK_JOIN,FORK_JOIN_DYNAMIC,JOIN,DYNAMIC,START_WORKFLOW',
    },
  })
  ;[a, b] = world.tenants
  // Tenant b's workflow and task that tenant a will try to reach.
  expect((await put(b, simpleDef('wf1', 'secret'))).status).toBe(200)
  // Conductor schedules a dynamic fork's or DYNAMIC task only with a task definition.
  const taskDefs = [{ name: 'work' }, { name: 'produce' }].map((task) => ({
    ...task,
    retryCount: 0,
    timeoutSeconds: 0,
    responseTimeoutSeconds: 600,
  }))
  const registered = await world.call(a, 'admin', 'POST', '/api/metadata/taskdefs', taskDefs)
  expect(registered.status, await registered.clone().text()).toBe(200)
})

afterAll(async () => {
  await world?.close()
})

describe('definitions whose tasks would come from run-time data', () => {
  const listFrom = (source: string) => ({
    name: 'fan',
    taskReferenceName: 'fan',
    type: 'FORK_JOIN_DYNAMIC',
    dynamicForkTasksParam: 'dynamicTasks',
    dynamicForkTasksInputParamName: 'dynamicTasksInput',
    inputParameters: {
      dynamicTasks: expr(source),
      dynamicTasksInput: expr('workflow.input.dynamicTasksInput'),
    },
  })
  const produce = { name: 'produce', taskReferenceName: 'produce', type: 'SIMPLE' }
  it.each([
    ['a fork over the workflow input (the review)', [listFrom('workflow.input.dynamicTasks'), join]],
    ['a fork over a nested input', [listFrom('workflow.input.deep.er.list'), join]],
    ['a fork over a task output under any key', [produce, listFrom('produce.output.forkTasks'), join]],
    [
      'a fork in a SWITCH case',
      [
        {
          name: 's',
          taskReferenceName: 's',
          type: 'SWITCH',
          evaluatorType: 'value-param',
          expression: 'k',
          inputParameters: { k: 'a' },
          decisionCases: { a: [listFrom('workflow.input.t'), join] },
        },
      ],
    ],
    [
      'a fork in a DO_WHILE loop',
      [
        {
          name: 'l',
          taskReferenceName: 'l',
          type: 'DO_WHILE',
          loopCondition: 'false',
          loopOver: [listFrom('workflow.input.t'), join],
        },
      ],
    ],
    [
      'the legacy dynamicForkJoinTasksParam',
      [
        {
          name: 'fan',
          taskReferenceName: 'fan',
          type: 'FORK_JOIN_DYNAMIC',
          dynamicForkJoinTasksParam: 'x',
          inputParameters: { x: expr('workflow.input.x') },
        },
        join,
      ],
    ],
    [
      'a fan-out to sub-workflows (items name their domain)',
      [
        {
          name: 'fan',
          taskReferenceName: 'fan',
          type: 'FORK_JOIN_DYNAMIC',
          inputParameters: {
            forkTaskName: 'w',
            forkTaskWorkflow: 'wf1',
            forkTaskInputs: expr('workflow.input.items'),
          },
        },
        join,
      ],
    ],
    [
      'a fork whose task name is data',
      [
        {
          name: 'fan',
          taskReferenceName: 'fan',
          type: 'FORK_JOIN_DYNAMIC',
          inputParameters: { forkTaskName: expr('workflow.input.name'), forkTaskInputs: [] },
        },
        join,
      ],
    ],
    [
      'a fork whose task type is data',
      [
        {
          name: 'fan',
          taskReferenceName: 'fan',
          type: 'FORK_JOIN_DYNAMIC',
          inputParameters: {
            forkTaskName: 'w',
            forkTaskType: expr('workflow.input.type'),
            forkTaskInputs: [],
          },
        },
        join,
      ],
    ],
    [
      'a DYNAMIC task named by data',
      [
        {
          name: 'd',
          taskReferenceName: 'd',
          type: 'DYNAMIC',
          dynamicTaskNameParam: 't',
          inputParameters: { t: expr('workflow.input.task') },
        },
      ],
    ],
    [
      'a START_WORKFLOW of a request from data',
      [
        {
          name: 's',
          taskReferenceName: 's',
          type: 'START_WORKFLOW',
          inputParameters: { startWorkflow: expr('workflow.input.request') },
        },
      ],
    ],
    [
      'a START_WORKFLOW into another domain',
      [
        {
          name: 's',
          taskReferenceName: 's',
          type: 'START_WORKFLOW',
          inputParameters: { startWorkflow: { name: 'x', taskToDomain: { '*': 'other' } } },
        },
      ],
    ],
  ])('refuses %s before Conductor sees it', async (what, tasks) => {
    const name = `hostile${what.length}${tasks.length}`
    const response = await put(a, def(name, tasks))
    expect(response.status).toBe(400)
    expect(((await response.json()) as Json).code).toMatch(/^FG_ERR_GATEWAY_(FIELD|TASK_TYPE)_FORBIDDEN$/)
    expect((await world.conductor('GET', `/api/metadata/workflow/${a.name}___${name}`)).status).toBe(404)
  })
})

describe('a simple dynamic fork', () => {
  const fork = (inputs: string) => ({
    name: 'fan',
    taskReferenceName: 'fan',
    type: 'FORK_JOIN_DYNAMIC',
    inputParameters: { forkTaskName: 'work', forkTaskInputs: expr(inputs) },
  })

  beforeAll(async () => {
    const fanout = await put(a, def('fanout', [fork('workflow.input.items'), join]))
    expect(fanout.status, await fanout.clone().text()).toBe(200)
    const produce = { name: 'produce', taskReferenceName: 'produce', type: 'SIMPLE' }
    expect((await put(a, def('chain', [produce, fork('produce.output.forkTasks'), join]))).status).toBe(200)
    const child = {
      name: 'child',
      taskReferenceName: 'child',
      type: 'SUB_WORKFLOW',
      subWorkflowParam: { name: 'fanout', version: 1 },
      inputParameters: { items: expr('workflow.input.items') },
    }
    expect((await put(a, def('outer', [child]))).status).toBe(200)
  })

  it("runs an operator's hostile items only as inputs of the tenant's own task, in its domain", async () => {
    const id = await start(a, 'fanout', { items: hostileItems(), dynamicTasks: hostileItems() })
    const tasks = await tasksAfter(id, 5)
    expectOnlyOwnWork(tasks, 3)
    // The data arrived, as data.
    const first = tasks.find((task) => task.taskType === `${a.name}___work`) as Json
    expect(JSON.stringify(first.inputData)).toContain('http_request')
  })

  it('fails the fork, running nothing, when its items are not a list and the input names its list keys', async () => {
    const id = await start(a, 'fanout', {
      items: 'not a list',
      flowgateNoTaskList: hostileItems(),
      dynamicTasks: hostileItems(),
    })
    const ended = await eventually(async () => {
      const run = await execution(id)
      return run.status === 'RUNNING' ? undefined : run
    }, 60_000)
    expect(ended.status).toBe('FAILED')
    expect((ended.tasks as Json[]).map((task) => task.taskType)).toEqual([])
  })

  it("runs a task output under any key only as inputs of the tenant's own task", async () => {
    const id = await start(a, 'chain', {}, 'admin')
    const polled = await eventually(async () => {
      const response = await world.call(
        a,
        'admin',
        'GET',
        '/api/tasks/poll/batch/produce?count=1&timeout=500'
      )
      const found = ((await response.json()) as Json[]).find((task) => task.workflowInstanceId === id)
      return found
    }, 60_000)
    const update = {
      workflowInstanceId: id,
      taskId: polled.taskId,
      status: 'COMPLETED',
      outputData: { forkTasks: hostileItems() },
    }
    const updated = await world.call(a, 'admin', 'POST', '/api/tasks', update)
    expect(updated.status, await updated.clone().text()).toBe(200)
    expectOnlyOwnWork(await tasksAfter(id, 6), 3)
  })

  it('keeps a sub-workflow that forks dynamically to the same rules', async () => {
    const id = await start(a, 'outer', { items: hostileItems() })
    const childId = await eventually(async () => {
      const tasks = (await execution(id)).tasks as Json[]
      const sub = tasks.find((task) => task.taskType === 'SUB_WORKFLOW')
      return typeof sub?.subWorkflowId === 'string' ? sub.subWorkflowId : undefined
    }, 60_000)
    expectOnlyOwnWork(await tasksAfter(childId, 5), 3)
    expect(((await execution(childId)).taskToDomain as Json)['*']).toBe(a.name)
  })
})

describe('DYNAMIC and START_WORKFLOW, when an operator allows them', () => {
  it('a DYNAMIC task runs the task its definition names, whatever the input says', async () => {
    const dynamic = {
      name: 'd',
      taskReferenceName: 'd',
      type: 'DYNAMIC',
      dynamicTaskNameParam: 't',
      inputParameters: { t: 'work' },
    }
    expect((await put(a, def('dyn', [dynamic]))).status).toBe(200)
    const id = await start(a, 'dyn', { t: `${b.name}___secret`, task: 'HTTP' })
    const tasks = await tasksAfter(id, 1)
    expect(tasks.map((task) => [task.taskType, task.domain])).toEqual([[`${a.name}___work`, a.name]])
  })

  it("START_WORKFLOW starts the tenant's workflow in the tenant's domain", async () => {
    expect((await put(a, simpleDef('target', 'work'))).status).toBe(200)
    const starter = {
      name: 's',
      taskReferenceName: 's',
      type: 'START_WORKFLOW',
      inputParameters: {
        startWorkflow: { name: 'target', version: 1, input: { x: expr('workflow.input.x') } },
      },
    }
    expect((await put(a, def('starter', [starter]))).status).toBe(200)
    const stored = (await (
      await world.conductor('GET', `/api/metadata/workflow/${a.name}___starter`)
    ).json()) as Json
    const inputs = (stored.tasks as Json[])[0]?.inputParameters as Json | undefined
    const request = inputs?.startWorkflow
    expect(request).toMatchObject({ name: `${a.name}___target`, taskToDomain: { '*': a.name } })
    const refused = await put(
      a,
      def('starter2', [{ ...starter, inputParameters: { startWorkflow: { name: `${b.name}___wf1` } } }])
    )
    expect(refused.status).toBe(400)
  })
})
