/** @module Proves the in-memory Conductor is real: definitions, a start with task domains, a worker round trip. */
import { describe, expect, inject, it } from 'vitest'
import { eventually, field, send, sendJson } from './http.ts'

const api = `${inject('engines').conductorMemoryUrl}/api`
const TASK = 'smoke_task'
const WORKFLOW = 'smoke_workflow'
const OWNER = 'engines@example.test'

describe('Conductor in memory', () => {
  it('registers a task definition and a workflow definition', async () => {
    await sendJson('POST', `${api}/metadata/taskdefs`, [
      { name: TASK, ownerEmail: OWNER, retryCount: 0, timeoutSeconds: 300, responseTimeoutSeconds: 60 },
    ])
    await sendJson('POST', `${api}/metadata/workflow`, {
      name: WORKFLOW,
      version: 1,
      schemaVersion: 2,
      ownerEmail: OWNER,
      tasks: [{ name: TASK, taskReferenceName: 'only', type: 'SIMPLE' }],
    })
    const definition = await sendJson('GET', `${api}/metadata/workflow/${WORKFLOW}?version=1`)
    expect(field(definition, 'name')).toBe(WORKFLOW)
  })

  it("puts a task of a workflow started with taskToDomain {'*':'acme'} in the acme domain only", async () => {
    const started = await send('POST', `${api}/workflow`, {
      name: WORKFLOW,
      version: 1,
      input: { greeting: 'hello' },
      taskToDomain: { '*': 'acme' },
    })
    expect(started.status).toBe(200)
    const workflowId = started.text

    // A worker without the domain finds nothing: the queue is `acme:smoke_task`.
    const noDomain = await send('GET', `${api}/tasks/poll/${TASK}?workerid=smoke`)
    expect(noDomain.status).toBe(204)

    const task = await eventually(async () => {
      const answer = await send('GET', `${api}/tasks/poll/${TASK}?workerid=smoke&domain=acme`)
      return answer.status === 200 ? (JSON.parse(answer.text) as unknown) : undefined
    })
    expect(field(task, 'workflowInstanceId')).toBe(workflowId)
    expect(field(task, 'domain')).toBe('acme')

    await send('POST', `${api}/tasks`, {
      taskId: field(task, 'taskId'),
      workflowInstanceId: workflowId,
      workerId: 'smoke',
      status: 'COMPLETED',
      outputData: { done: true },
    })
    const status = await eventually(async () => {
      const workflow = await sendJson('GET', `${api}/workflow/${workflowId}?includeTasks=false`)
      return field(workflow, 'status') === 'RUNNING' ? undefined : field(workflow, 'status')
    })
    expect(status).toBe('COMPLETED')
  })
})
