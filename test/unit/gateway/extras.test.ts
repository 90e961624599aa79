import { describe, expect, it } from 'vitest'
import type { Json } from '../../conformance/fake-conductor.ts'
import { ALICE, buildGateway, GINA, OSCAR } from '../../conformance/gateway-world.ts'
import { call, jsonOf } from './helpers.ts'

type Family = {
  workflow: Json
  subWorkflows: Array<{
    parentWorkflowId: string
    parentTaskReferenceName: string
    depth: number
    workflow: Json
  }>
  truncated: boolean
}

function subTask(ref: string, subWorkflowId: string): Json {
  return { taskType: 'SUB_WORKFLOW', referenceTaskName: ref, subWorkflowId }
}

/** acme: root (alice) → child (alice) → grandchild (alice); root also points at globex's and oscar's. */
function familyWorld() {
  const world = buildGateway()
  const { conductor } = world
  conductor.addExecution({
    workflowId: 'root-1',
    workflowName: 'acme___notifier',
    correlationId: ALICE.user,
    tasks: [
      subTask('child', 'child-1'),
      subTask('theirs', 'globex-gina-1'),
      subTask('oscars', 'acme-oscar-1'),
      subTask('loop', 'root-1'),
    ],
  })
  conductor.addExecution({
    workflowId: 'child-1',
    workflowName: 'acme___labelled',
    correlationId: ALICE.user,
    parentWorkflowId: 'root-1',
    tasks: [subTask('grand', 'grand-1')],
  })
  conductor.addExecution({
    workflowId: 'grand-1',
    workflowName: 'acme___labelled',
    correlationId: ALICE.user,
    tasks: [],
  })
  return world
}

describe('GET /api/workflow/:workflowId/family', () => {
  it("returns an execution with its sub-workflows, recursively, leaving out another tenant's", async () => {
    const world = familyWorld()
    const family = await jsonOf<Family>(await call(world, ALICE, 'GET', '/api/workflow/root-1/family'))
    expect(family.workflow.workflowName).toBe('notifier')
    expect(
      family.subWorkflows.map((m) => [
        m.parentWorkflowId,
        m.parentTaskReferenceName,
        m.depth,
        m.workflow.workflowId,
      ])
    ).toEqual([
      ['root-1', 'child', 1, 'child-1'],
      ['root-1', 'oscars', 1, 'acme-oscar-1'],
      ['child-1', 'grand', 2, 'grand-1'],
    ])
    expect(family.truncated).toBe(false)
    const text = JSON.stringify(family)
    expect(text).not.toContain('globex input')
    expect(text).not.toContain('acme___')
  })

  it('leaves out a sub-workflow the operator did not start', async () => {
    const world = familyWorld()
    const root = world.conductor.executions.get('root-1')
    if (root) root.correlationId = OSCAR.user
    const family = await jsonOf<Family>(await call(world, OSCAR, 'GET', '/api/workflow/root-1/family'))
    expect(family.subWorkflows.map((m) => m.workflow.workflowId)).toEqual(['acme-oscar-1'])
  })

  it("answers 404 for another tenant's root", async () => {
    const world = familyWorld()
    const response = await call(world, GINA, 'GET', '/api/workflow/root-1/family')
    expect(response.status).toBe(404)
    expect(world.conductor.calls('GET', '/api/workflow/child-1')).toEqual([])
  })

  it('stops and says so when the tree is deeper than the bound', async () => {
    const world = buildGateway()
    for (let i = 0; i < 20; i++) {
      world.conductor.addExecution({
        workflowId: `deep-${i}`,
        workflowName: 'acme___labelled',
        correlationId: ALICE.user,
        tasks: [subTask('next', `deep-${i + 1}`)],
      })
    }
    const family = await jsonOf<Family>(await call(world, ALICE, 'GET', '/api/workflow/deep-0/family'))
    expect(family.truncated).toBe(true)
    expect(family.subWorkflows.length).toBe(16)
  })
})
