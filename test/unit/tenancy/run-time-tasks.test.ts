import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import { type DefRules, stripDef, tenantizeDef, tenantizeTasks } from '../../../src/tenancy/workflow-def.ts'

/** A Conductor `${…}` expression (built, so it is not mistaken for a template). */
const expr = (path: string): string => `$${'{'}${path}}`

const DEFAULT_TYPES = new Set([
  'SUB_WORKFLOW',
  'SWITCH',
  'DO_WHILE',
  'FORK_JOIN',
  'FORK_JOIN_DYNAMIC',
  'JOIN',
])
const RULES: DefRules = { tenant: 'acme', allowedTypes: DEFAULT_TYPES }
const OPEN: DefRules = {
  tenant: 'acme',
  allowedTypes: new Set([...DEFAULT_TYPES, 'HTTP', 'EVENT', 'DYNAMIC', 'START_WORKFLOW']),
}

function failure(run: () => unknown): { code: string; where: string } | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    if (!(error instanceof AppError)) return { code: 'not an AppError', where: '' }
    return { code: error.code, where: error.errors?.[0]?.where ?? '' }
  }
}

const fork = (extra: Record<string, unknown>) => ({
  name: 'fan',
  taskReferenceName: 'fan',
  type: 'FORK_JOIN_DYNAMIC',
  ...extra,
})
const join = { name: 'join', taskReferenceName: 'join', type: 'JOIN' }
const defWith = (...tasks: unknown[]) => ({ name: 'w', tasks: [...tasks, join] })

describe('dynamic forks in a definition', () => {
  it.each([
    [
      'a task list from the workflow input',
      {
        dynamicForkTasksParam: 'list',
        inputParameters: { list: expr('workflow.input.dynamicTasks'), inputs: expr('workflow.input.i') },
        dynamicForkTasksInputParamName: 'inputs',
      },
      'tasks[0].dynamicForkTasksParam',
    ],
    [
      'a task list from a task output',
      { dynamicForkTasksParam: 'list', inputParameters: { list: expr('prev.output.forkTasks') } },
      'tasks[0].dynamicForkTasksParam',
    ],
    [
      'the legacy dynamicForkJoinTasksParam',
      { dynamicForkJoinTasksParam: 'legacy', inputParameters: { legacy: expr('workflow.input.x') } },
      'tasks[0].dynamicForkJoinTasksParam',
    ],
    [
      'a simple fork that binds its list key too',
      {
        dynamicForkTasksParam: 'list',
        inputParameters: { forkTaskName: 'work', forkTaskInputs: [], list: expr('workflow.input.l') },
      },
      'tasks[0].dynamicForkTasksParam',
    ],
    [
      'a simple fork that binds its input-map key',
      {
        dynamicForkTasksInputParamName: 'forkTaskInputs',
        inputParameters: { forkTaskName: 'work', forkTaskInputs: [] },
      },
      'tasks[0].dynamicForkTasksInputParamName',
    ],
    [
      'a task name from data',
      { inputParameters: { forkTaskName: expr('workflow.input.name'), forkTaskInputs: [] } },
      'tasks[0].inputParameters.forkTaskName',
    ],
    [
      'no task name',
      { inputParameters: { forkTaskInputs: expr('workflow.input.items') } },
      'tasks[0].inputParameters.forkTaskName',
    ],
    [
      'a fan-out to sub-workflows',
      { inputParameters: { forkTaskName: 'w', forkTaskWorkflow: 'child', forkTaskInputs: [] } },
      'tasks[0].inputParameters.forkTaskWorkflow',
    ],
    [
      'inputs that are an expression',
      { inputParameters: expr('workflow.input') },
      'tasks[0].inputParameters',
    ],
  ])('refuses %s', (_what, extra, where) => {
    expect(failure(() => tenantizeDef(defWith(fork(extra)), 'body', RULES, 'u'))).toEqual({
      code: 'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      where: `body.${where}`,
    })
  })

  it.each([
    ['a task type from data', expr('workflow.input.type'), RULES],
    ['a type the tenant may not use', 'HTTP', RULES],
    ['a type whose task reads more than its inputs, even when allowed', 'EVENT', OPEN],
    ['a sub-workflow type', 'SUB_WORKFLOW', OPEN],
    ['a fork type', 'FORK_JOIN', OPEN],
  ])('refuses %s', (_what, forkTaskType, rules) => {
    const def = defWith(fork({ inputParameters: { forkTaskName: 'work', forkTaskType, forkTaskInputs: [] } }))
    expect(failure(() => tenantizeDef(def, 'body', rules, 'u'))?.code).toBe(
      'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN'
    )
  })

  it.each([
    [
      'in a SWITCH case',
      (task: unknown) => ({
        name: 's',
        taskReferenceName: 's',
        type: 'SWITCH',
        decisionCases: { a: [task, join] },
      }),
    ],
    [
      'in a DO_WHILE loop',
      (task: unknown) => ({ name: 'l', taskReferenceName: 'l', type: 'DO_WHILE', loopOver: [task, join] }),
    ],
    [
      'in a FORK_JOIN branch',
      (task: unknown) => ({
        name: 'f',
        taskReferenceName: 'f',
        type: 'FORK_JOIN',
        forkTasks: [[task, join]],
      }),
    ],
  ])('refuses a list from data nested %s', (_where, wrap) => {
    const nested = wrap(
      fork({ dynamicForkTasksParam: 'l', inputParameters: { l: expr('workflow.input.l') } })
    )
    expect(failure(() => tenantizeDef({ name: 'w', tasks: [nested] }, 'body', RULES, 'u'))?.code).toBe(
      'FG_ERR_GATEWAY_FIELD_FORBIDDEN'
    )
  })

  it('refuses a list from data inside dynamic_tasks of a task update', () => {
    const injected = [fork({ dynamicForkTasksParam: 'l', inputParameters: { l: expr('workflow.input.l') } })]
    expect(failure(() => tenantizeTasks(injected, 'dynamic_tasks', RULES))?.code).toBe(
      'FG_ERR_GATEWAY_FIELD_FORBIDDEN'
    )
  })

  it('keeps the simple form, prefixing the task name and leaving the data as data', () => {
    const def = defWith(
      fork({
        inputParameters: {
          forkTaskName: 'work',
          forkTaskType: 'simple',
          forkTaskInputs: expr('workflow.input.items'),
        },
      })
    )
    const out = tenantizeDef(def, 'body', RULES, 'u')
    const stored = (
      out.tasks as Array<{ inputParameters?: Record<string, unknown> } & Record<string, unknown>>
    )[0]
    // Conductor requires both keys; they name inputs the definition leaves unbound.
    expect(stored?.dynamicForkTasksParam).toBe('flowgateNoTaskList')
    expect(stored?.dynamicForkTasksInputParamName).toBe('flowgateNoTaskInputs')
    expect(stored?.inputParameters).toEqual({
      forkTaskName: 'acme___work',
      forkTaskType: 'SIMPLE',
      forkTaskInputs: expr('workflow.input.items'),
    })
    const shown = stripDef(out, 'acme')?.tasks as Array<{ inputParameters?: unknown }> | undefined
    expect(shown?.[0]?.inputParameters).toEqual({ ...stored?.inputParameters, forkTaskName: 'work' })
  })

  it('keeps list keys a client named that the definition leaves unbound', () => {
    const def = defWith(
      fork({
        dynamicForkTasksParam: 'dynamicTasks',
        dynamicForkTasksInputParamName: 'dynamicTasksInput',
        inputParameters: { forkTaskName: 'w', forkTaskInputs: [] },
      })
    )
    const stored = (tenantizeDef(def, 'body', RULES, 'u').tasks as Array<Record<string, unknown>>)[0]
    expect([stored?.dynamicForkTasksParam, stored?.dynamicForkTasksInputParamName]).toEqual([
      'dynamicTasks',
      'dynamicTasksInput',
    ])
  })

  it('keeps a shared GLOBAL forkTaskName and an allowed leaf type', () => {
    const def = defWith(
      fork({ inputParameters: { forkTaskName: 'GLOBAL___py', forkTaskType: 'HTTP', forkTaskInputs: [] } })
    )
    const out = tenantizeDef(def, 'body', OPEN, 'u')
    expect(
      (out.tasks as Array<{ inputParameters?: Record<string, unknown> }>)[0]?.inputParameters?.forkTaskName
    ).toBe('GLOBAL___py')
  })

  it("hides a stored definition whose fork names another tenant's task", () => {
    const stored = {
      name: 'acme___w',
      tasks: [
        fork({ name: 'acme___fan', inputParameters: { forkTaskName: 'other___work', forkTaskInputs: [] } }),
      ],
    }
    expect(stripDef(stored, 'acme')).toBeUndefined()
  })
})

describe('DYNAMIC and START_WORKFLOW in a definition', () => {
  it('refuses a DYNAMIC task whose name comes from data', () => {
    const task = {
      name: 'd',
      taskReferenceName: 'd',
      type: 'DYNAMIC',
      dynamicTaskNameParam: 'which',
      inputParameters: { which: expr('workflow.input.task') },
    }
    expect(failure(() => tenantizeDef({ name: 'w', tasks: [task] }, 'body', OPEN, 'u'))).toEqual({
      code: 'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      where: 'body.tasks[0].inputParameters.which',
    })
  })

  it('prefixes the literal name of a DYNAMIC task and strips it on the way out', () => {
    const task = {
      name: 'd',
      taskReferenceName: 'd',
      type: 'DYNAMIC',
      dynamicTaskNameParam: 'which',
      inputParameters: { which: 'work' },
    }
    const out = tenantizeDef({ name: 'w', tasks: [task] }, 'body', OPEN, 'u')
    expect((out.tasks as Array<{ inputParameters?: unknown }>)[0]?.inputParameters).toEqual({
      which: 'acme___work',
    })
    expect(stripDef(out, 'acme')?.tasks).toEqual([task])
  })

  it.each([
    ['a request from data', expr('workflow.input.request'), 'startWorkflow'],
    ['a domain', { name: 'x', taskToDomain: { '*': 'other' } }, 'startWorkflow.taskToDomain'],
    [
      'an inline definition',
      { name: 'x', workflowDef: { name: 'y', tasks: [] } },
      'startWorkflow.workflowDef',
    ],
  ])('refuses a START_WORKFLOW with %s', (_what, startWorkflow, where) => {
    const task = {
      name: 's',
      taskReferenceName: 's',
      type: 'START_WORKFLOW',
      inputParameters: { startWorkflow },
    }
    expect(failure(() => tenantizeDef({ name: 'w', tasks: [task] }, 'body', OPEN, 'u'))).toEqual({
      code: 'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      where: `body.tasks[0].inputParameters.${where}`,
    })
  })

  it('refuses a START_WORKFLOW naming a workflow from data', () => {
    const task = {
      name: 's',
      type: 'START_WORKFLOW',
      inputParameters: { startWorkflow: { name: expr('workflow.input.n') } },
    }
    expect(failure(() => tenantizeDef({ name: 'w', tasks: [task] }, 'body', OPEN, 'u'))?.code).toBe(
      'FG_ERR_GATEWAY_NAME_INVALID'
    )
  })

  it("starts the tenant's workflow in the tenant's domain", () => {
    const task = {
      name: 's',
      type: 'START_WORKFLOW',
      inputParameters: { startWorkflow: { name: 'child', input: { a: expr('workflow.input.a') } } },
    }
    const out = tenantizeDef({ name: 'w', tasks: [task] }, 'body', OPEN, 'u')
    expect((out.tasks as Array<{ inputParameters?: unknown }>)[0]?.inputParameters).toEqual({
      startWorkflow: {
        name: 'acme___child',
        input: { a: expr('workflow.input.a') },
        taskToDomain: { '*': 'acme' },
      },
    })
    expect(stripDef(out, 'acme')?.tasks).toEqual([task])
  })
})
