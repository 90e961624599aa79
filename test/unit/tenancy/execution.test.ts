import { describe, expect, it } from 'vitest'
import type { Principal } from '../../../src/identity/principal.ts'
import { executionVisibleTo, stripExecution, stripTask } from '../../../src/tenancy/execution.ts'

const admin: Principal = {
  tenant: 'acme',
  user: 'alice',
  roles: [],
  groups: ['network-admin'],
  isAdmin: true,
}
const operator: Principal = { tenant: 'acme', user: 'oscar', roles: [], groups: ['OPERATOR'], isAdmin: false }

describe('executionVisibleTo', () => {
  it.each([
    [
      'an admin, a tenant execution by someone else',
      admin,
      { workflowName: 'acme___w', correlationId: 'oscar' },
      true,
    ],
    [
      'an operator, their own execution',
      operator,
      { workflowName: 'acme___w', correlationId: 'oscar' },
      true,
    ],
    [
      'an operator, a summary of their own',
      operator,
      { workflowType: 'acme___w', correlationId: 'oscar' },
      true,
    ],
    [
      "an operator, someone else's execution",
      operator,
      { workflowName: 'acme___w', correlationId: 'alice' },
      false,
    ],
    [
      "an admin, another tenant's execution",
      admin,
      { workflowName: 'globex___w', correlationId: 'alice' },
      false,
    ],
    [
      "an operator, another tenant's execution they 'own'",
      operator,
      { workflowName: 'globex___w', correlationId: 'oscar' },
      false,
    ],
    ['an admin, an unprefixed execution', admin, { workflowName: 'w' }, false],
    ['an admin, a shared-looking name', admin, { workflowName: 'GLOBAL___w' }, false],
    ['an admin, an execution without a name', admin, { correlationId: 'alice' }, false],
    ['an operator, a missing correlationId', operator, { workflowName: 'acme___w' }, false],
    ['an admin, an array', admin, ['acme___w'], false],
    ['an admin, null', admin, null, false],
  ])('%s → %j', (_, principal, execution, expected) => {
    expect(executionVisibleTo(principal, execution)).toBe(expected)
  })

  it('prefers workflowName over a contradicting workflowType', () => {
    expect(executionVisibleTo(admin, { workflowName: 'globex___w', workflowType: 'acme___w' })).toBe(false)
  })
})

describe('stripTask', () => {
  it('removes the tenant prefix from every task field that names a definition', () => {
    const task = {
      taskType: 'acme___charge',
      taskDefName: 'acme___charge',
      workflowType: 'acme___w',
      workflowTask: {
        name: 'acme___charge',
        taskDefinition: { name: 'acme___charge' },
        subWorkflowParam: { name: 'acme___child' },
      },
      inputData: { subWorkflowName: 'acme___child', other: 'acme___kept-in-data' },
      outputData: { workflowType: 'acme___child' },
    }
    expect(stripTask(task, 'acme')).toEqual({
      taskType: 'charge',
      taskDefName: 'charge',
      workflowType: 'w',
      workflowTask: {
        name: 'charge',
        taskDefinition: { name: 'charge' },
        subWorkflowParam: { name: 'child' },
      },
      inputData: { subWorkflowName: 'child', other: 'acme___kept-in-data' },
      outputData: { workflowType: 'child' },
    })
  })

  it('keeps GLOBAL task types and leaves system task types alone', () => {
    expect(
      stripTask({ taskType: 'GLOBAL___notify', workflowTask: { name: 'GLOBAL___notify' } }, 'acme')
    ).toEqual({
      taskType: 'GLOBAL___notify',
      workflowTask: { name: 'GLOBAL___notify' },
    })
    expect(stripTask({ taskType: 'SUB_WORKFLOW' }, 'acme')).toEqual({ taskType: 'SUB_WORKFLOW' })
  })

  it('passes non-objects through', () => {
    expect(stripTask('x', 'acme')).toBe('x')
    expect(stripTask(null, 'acme')).toBeNull()
  })
})

describe('stripExecution', () => {
  it('removes prefixes from the execution, its output, tasks and definition', () => {
    const out = stripExecution(
      {
        workflowId: 'id-1',
        workflowName: 'acme___w',
        output: { workflowType: 'acme___w' },
        tasks: [{ taskType: 'acme___charge' }],
        workflowDefinition: { name: 'acme___w', tasks: [{ name: 'acme___charge' }] },
      },
      'acme'
    )
    expect(out).toEqual({
      workflowId: 'id-1',
      workflowName: 'w',
      output: { workflowType: 'w' },
      tasks: [{ taskType: 'charge' }],
      workflowDefinition: { name: 'w', tasks: [{ name: 'charge' }] },
    })
  })

  it('reduces an embedded definition that references another tenant to its name', () => {
    const out = stripExecution(
      { workflowName: 'acme___w', workflowDefinition: { name: 'acme___w', tasks: [{ name: 'globex___x' }] } },
      'acme'
    )
    expect(out.workflowDefinition).toEqual({ name: 'w' })
    expect(JSON.stringify(out)).not.toContain('globex')
  })
})
