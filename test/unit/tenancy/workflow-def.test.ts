import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import {
  checkTaskTypes,
  type DefRules,
  stripDef,
  tenantizeDef,
  tenantizeTasks,
} from '../../../src/tenancy/workflow-def.ts'
import { visitTasks } from '../../../src/tenancy/workflow-tasks.ts'

/** A Conductor `${…}` expression (built, so it is not mistaken for a template). */
const expr = (path: string): string => `$${'{'}${path}}`

const ALLOWED = new Set(['SUB_WORKFLOW', 'DECISION', 'SWITCH', 'DO_WHILE', 'FORK_JOIN', 'JOIN', 'TERMINATE'])
const RULES: DefRules = { tenant: 'acme', allowedTypes: ALLOWED }

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    return error instanceof AppError ? error.code : 'not an AppError'
  }
}

const http = { name: 'call', taskReferenceName: 'call', type: 'HTTP' }

describe('checkTaskTypes', () => {
  it.each([
    ['at the top level', [http]],
    [
      'in a SWITCH case',
      [{ name: 's', taskReferenceName: 's', type: 'SWITCH', decisionCases: { a: [http] } }],
    ],
    [
      'in a DECISION default case',
      [{ name: 'd', taskReferenceName: 'd', type: 'DECISION', defaultCase: [http] }],
    ],
    [
      'in a FORK_JOIN branch',
      [{ name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[], [http]] }],
    ],
    ['in a DO_WHILE loop', [{ name: 'l', taskReferenceName: 'l', type: 'DO_WHILE', loopOver: [http] }]],
    [
      'three levels deep',
      [
        {
          name: 'l',
          type: 'DO_WHILE',
          loopOver: [
            {
              name: 'f',
              type: 'FORK_JOIN',
              forkTasks: [[{ name: 's', type: 'SWITCH', decisionCases: { x: [http] } }]],
            },
          ],
        },
      ],
    ],
    ['under a SIMPLE task that smuggles cases', [{ name: 'x', decisionCases: { a: [http] } }]],
    ['written in lower case', [{ name: 'x', type: 'inline' }]],
    ['with a non-string type', [{ name: 'x', type: 7 }]],
    ['with a null type', [{ name: 'x', type: null }]],
  ])('refuses a forbidden task type %s', (_, tasks) => {
    expect(codeOf(() => checkTaskTypes(tasks, 'tasks', ALLOWED))).toBe('FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN')
  })

  it.each(['INLINE', 'LAMBDA', 'JSON_JQ_TRANSFORM', 'KAFKA_PUBLISH', 'EVENT', 'START_WORKFLOW', 'DYNAMIC'])(
    'refuses the server-run type %s by default',
    (type) => {
      expect(codeOf(() => checkTaskTypes([{ name: 'x', type }], 'tasks', ALLOWED))).toBe(
        'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN'
      )
    }
  )

  it('names the exact path of the forbidden task', () => {
    const tasks = [{ name: 'f', type: 'FORK_JOIN', forkTasks: [[], [{ name: 'ok' }, http]] }]
    try {
      checkTaskTypes(tasks, 'body.tasks', ALLOWED)
      expect.unreachable()
    } catch (error) {
      expect((error as AppError).errors?.[0]?.where).toBe('body.tasks[0].forkTasks[1][1].type')
    }
  })

  it('accepts SIMPLE, untyped and allowed tasks (in any case)', () => {
    const tasks = [{ name: 'a' }, { name: 'b', type: 'SIMPLE' }, { name: 'c', type: 'terminate' }]
    expect(() => checkTaskTypes(tasks, 'tasks', ALLOWED)).not.toThrow()
  })

  it('ignores non-object entries and non-array task lists without crashing', () => {
    expect(() => checkTaskTypes([null, 3, 'x', []], 'tasks', ALLOWED)).not.toThrow()
    expect(() => checkTaskTypes({ not: 'a list' }, 'tasks', ALLOWED)).not.toThrow()
  })
})

describe('tenantizeDef', () => {
  const def = {
    name: 'orders',
    description: 'x - OPERATOR',
    ownerEmail: 'spoofed@example.test',
    failureWorkflow: 'cleanup',
    tasks: [
      { name: 'charge', taskReferenceName: 'charge' },
      { name: 'GLOBAL___notify', taskReferenceName: 'notify', type: 'SIMPLE' },
      {
        name: 'route',
        taskReferenceName: 'route',
        type: 'SWITCH',
        decisionCases: {
          a: [
            {
              name: 'child',
              taskReferenceName: 'c',
              type: 'SUB_WORKFLOW',
              subWorkflowParam: { name: 'sub', version: 1 },
            },
          ],
        },
        defaultCase: [{ name: 'stop', taskReferenceName: 'stop', type: 'TERMINATE' }],
      },
      {
        name: 'fork',
        taskReferenceName: 'fork',
        type: 'FORK_JOIN',
        forkTasks: [[{ name: 'left', taskReferenceName: 'l' }], [{ name: 'right', taskReferenceName: 'r' }]],
      },
      {
        name: 'loop',
        taskReferenceName: 'loop',
        type: 'DO_WHILE',
        loopOver: [{ name: 'inner', taskReferenceName: 'i' }],
      },
      {
        name: 'DYNAMIC_FORK',
        taskReferenceName: 'dyn',
        type: 'SUB_WORKFLOW',
        subWorkflowParam: { name: 'dynsub' },
        inputParameters: { expectedName: 'expected' },
      },
    ],
  }

  it('prefixes every name at every depth, sets the owner and keeps reference names', () => {
    const out = tenantizeDef(def, 'body', RULES, 'alice@acme.test')
    expect(out.name).toBe('acme___orders')
    expect(out.ownerEmail).toBe('alice@acme.test')
    expect(out.failureWorkflow).toBe('acme___cleanup')
    const names: string[] = []
    const refs: string[] = []
    visitTasks(out.tasks, 'tasks', (task) => {
      names.push(String(task.name))
      refs.push(String(task.taskReferenceName))
    })
    expect(names).toEqual([
      'acme___charge',
      'GLOBAL___notify',
      'acme___route',
      'acme___child',
      'acme___stop',
      'acme___fork',
      'acme___left',
      'acme___right',
      'acme___loop',
      'acme___inner',
      'acme___DYNAMIC_FORK',
    ])
    expect(refs).toContain('charge')
    expect(refs).not.toContain('acme___charge')
    const tasks = out.tasks as Array<Record<string, Record<string, unknown>>>
    const child = ((tasks[2]?.decisionCases?.a ?? []) as Array<Record<string, Record<string, unknown>>>)[0]
    expect(child?.subWorkflowParam).toEqual({ name: 'acme___sub', version: 1 })
    expect(tasks[5]?.inputParameters).toEqual({ expectedName: 'acme___expected' })
    expect(tasks[5]?.subWorkflowParam).toEqual({ name: 'acme___dynsub' })
  })

  it('does not change the client object', () => {
    const copy = structuredClone(def)
    tenantizeDef(def, 'body', RULES, 'alice@acme.test')
    expect(def).toEqual(copy)
  })

  it('keeps a GLOBAL expectedName of a DYNAMIC_FORK as it is', () => {
    const out = tenantizeDef(
      {
        name: 'w',
        tasks: [
          {
            name: 'DYNAMIC_FORK',
            type: 'SUB_WORKFLOW',
            subWorkflowParam: { name: 's' },
            inputParameters: { expectedName: 'GLOBAL___x' },
          },
        ],
      },
      'body',
      RULES,
      'u'
    )
    expect(
      (out.tasks as Array<Record<string, Record<string, unknown>>>)[0]?.inputParameters?.expectedName
    ).toBe('GLOBAL___x')
  })

  it.each([
    ['subWorkflowParam.taskToDomain', { taskToDomain: { '*': 'globex' } }, 'FG_ERR_GATEWAY_FIELD_FORBIDDEN'],
    [
      'subWorkflowParam.workflowDefinition',
      { workflowDefinition: { name: 'x', tasks: [http] } },
      'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
    ],
    [
      'subWorkflowParam.workflowDefinition as an expression',
      { workflowDefinition: expr('workflow.input.def') },
      'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
    ],
    ['subWorkflowParam.workflowDef', { workflowDef: {} }, 'FG_ERR_GATEWAY_FIELD_FORBIDDEN'],
    ["another tenant's sub-workflow", { name: 'globex___secret' }, 'FG_ERR_GATEWAY_NAME_INVALID'],
    [
      'a sub-workflow name from an expression',
      { name: expr('workflow.input.target') },
      'FG_ERR_GATEWAY_NAME_INVALID',
    ],
    ['a sub-workflow without a name', { name: undefined, version: 1 }, 'FG_ERR_GATEWAY_NAME_INVALID'],
  ])('refuses %s, even nested in a FORK branch', (_, param, code) => {
    const sub = {
      name: 'child',
      taskReferenceName: 'c',
      type: 'SUB_WORKFLOW',
      subWorkflowParam: { name: 'ok', ...param },
    }
    const nested = { name: 'w', tasks: [{ name: 'f', type: 'FORK_JOIN', forkTasks: [[sub]] }] }
    expect(codeOf(() => tenantizeDef(nested, 'body', RULES, 'u'))).toBe(code)
  })

  it.each([
    ['a name with the separator', { name: 'a___b', tasks: [] }, 'FG_ERR_GATEWAY_NAME_INVALID'],
    ["another tenant's name", { name: 'globex___orders', tasks: [] }, 'FG_ERR_GATEWAY_NAME_INVALID'],
    ['a name with a colon', { name: 'a:b', tasks: [] }, 'FG_ERR_GATEWAY_NAME_INVALID'],
    ['no tasks array', { name: 'w', tasks: 'x' }, 'FG_ERR_HTTP_BAD_REQUEST'],
    ['not an object', ['w'], 'FG_ERR_HTTP_BAD_REQUEST'],
    ['a task without a name', { name: 'w', tasks: [{ type: 'SIMPLE' }] }, 'FG_ERR_GATEWAY_NAME_INVALID'],
    [
      "a task with another tenant's name",
      { name: 'w', tasks: [{ name: 'globex___charge' }] },
      'FG_ERR_GATEWAY_NAME_INVALID',
    ],
    [
      "another tenant's failure workflow",
      { name: 'w', tasks: [], failureWorkflow: 'globex___x' },
      'FG_ERR_GATEWAY_NAME_INVALID',
    ],
    [
      'a forbidden task type deep inside',
      { name: 'w', tasks: [{ name: 'l', type: 'DO_WHILE', loopOver: [http] }] },
      'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN',
    ],
  ])('refuses %s', (_, input, code) => {
    expect(codeOf(() => tenantizeDef(input, 'body', RULES, 'u'))).toBe(code)
  })
})

describe('tenantizeTasks (dynamic_tasks)', () => {
  it('prefixes task and sub-workflow names and checks types', () => {
    const out = tenantizeTasks(
      [
        { name: 'a', taskReferenceName: 'a', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 's' } },
        { name: 'b', taskReferenceName: 'b' },
      ],
      'dynamic_tasks',
      RULES
    )
    expect(out).toEqual([
      {
        name: 'acme___a',
        taskReferenceName: 'a',
        type: 'SUB_WORKFLOW',
        subWorkflowParam: { name: 'acme___s' },
      },
      { name: 'acme___b', taskReferenceName: 'b' },
    ])
  })

  it('refuses a forbidden type among them', () => {
    expect(codeOf(() => tenantizeTasks([{ name: 'x', type: 'INLINE' }], 'd', RULES))).toBe(
      'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN'
    )
  })
})

describe('stripDef', () => {
  const stored = {
    name: 'acme___orders',
    failureWorkflow: 'acme___cleanup',
    tasks: [
      { name: 'acme___charge', taskReferenceName: 'charge', taskDefinition: { name: 'acme___charge' } },
      { name: 'GLOBAL___notify', taskReferenceName: 'n' },
      {
        name: 'acme___f',
        type: 'FORK_JOIN',
        forkTasks: [
          [{ name: 'acme___sub', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'acme___child' } }],
        ],
      },
      { name: 'acme___DYNAMIC_FORK', inputParameters: { expectedName: 'acme___x' } },
    ],
  }

  it('removes the prefixes everywhere and keeps shared names', () => {
    const out = stripDef(stored, 'acme')
    expect(out?.name).toBe('orders')
    expect(out?.failureWorkflow).toBe('cleanup')
    expect(JSON.stringify(out)).not.toContain('acme___')
    expect(JSON.stringify(out)).toContain('GLOBAL___notify')
  })

  it.each([
    ["another tenant's definition", { ...stored, name: 'globex___orders' }],
    ['an unprefixed definition', { ...stored, name: 'orders' }],
    [
      "a definition running another tenant's task",
      { name: 'acme___w', tasks: [{ name: 'globex___charge' }] },
    ],
    [
      "a definition calling another tenant's sub-workflow deep inside",
      {
        name: 'acme___w',
        tasks: [
          {
            name: 'acme___l',
            type: 'DO_WHILE',
            loopOver: [{ name: 'acme___s', type: 'SUB_WORKFLOW', subWorkflowParam: { name: 'globex___w' } }],
          },
        ],
      },
    ],
    ['a task without a name', { name: 'acme___w', tasks: [{ type: 'SIMPLE' }] }],
    ['not an object', 'acme___w'],
    ['null', null],
  ])('hides %s', (_, def) => {
    expect(stripDef(def, 'acme')).toBeUndefined()
  })

  it('round-trips what tenantizeDef produced', () => {
    const client = {
      name: 'w',
      tasks: [
        { name: 'a', taskReferenceName: 'a' },
        { name: 'GLOBAL___g', taskReferenceName: 'g' },
      ],
    }
    expect(stripDef(tenantizeDef(client, 'body', RULES, 'u'), 'acme')).toEqual({ ...client, ownerEmail: 'u' })
  })
})

describe('stripDef and failure workflows', () => {
  it("hides a definition whose failure workflow is another tenant's", () => {
    const def = {
      name: 'acme___order',
      failureWorkflow: 'globex___cleanup',
      tasks: [{ name: 'acme___charge', taskReferenceName: 'c', type: 'SIMPLE' }],
    }
    expect(stripDef(def, 'acme')).toBeUndefined()
    expect(stripDef({ ...def, failureWorkflow: 'acme___cleanup' }, 'acme')?.failureWorkflow).toBe('cleanup')
  })
})
