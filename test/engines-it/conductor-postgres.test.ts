/** @module Proves the Conductor on PostgreSQL is real: a started workflow is found by the portable search form. */
import { describe, expect, inject, it } from 'vitest'
import { eventually, field, send, sendJson } from './http.ts'

const api = `${inject('engines').conductorPostgresUrl}/api`
const WORKFLOW = 'smoke_searchable'
const OWNER = 'engines@example.test'

describe('Conductor on PostgreSQL', () => {
  it('finds a started workflow with `workflowType IN (name)`', async () => {
    await sendJson('POST', `${api}/metadata/taskdefs`, [
      {
        name: 'smoke_pg_task',
        ownerEmail: OWNER,
        retryCount: 0,
        timeoutSeconds: 300,
        responseTimeoutSeconds: 60,
      },
    ])
    await sendJson('POST', `${api}/metadata/workflow`, {
      name: WORKFLOW,
      version: 1,
      schemaVersion: 2,
      ownerEmail: OWNER,
      tasks: [{ name: 'smoke_pg_task', taskReferenceName: 'only', type: 'SIMPLE' }],
    })
    const started = await send('POST', `${api}/workflow`, {
      name: WORKFLOW,
      version: 1,
      correlationId: 'alice',
    })
    expect(started.status).toBe(200)
    const workflowId = started.text

    // The Postgres index takes no quotes and no STARTS_WITH; `IN (…)` works on Elasticsearch too.
    const query = encodeURIComponent(`workflowType IN (${WORKFLOW}) AND correlationId IN (alice)`)
    const ids = await eventually(async () => {
      const found = await sendJson('GET', `${api}/workflow/search?query=${query}`)
      const results = field(found, 'results')
      const list = Array.isArray(results) ? results.map((result: unknown) => field(result, 'workflowId')) : []
      return list.includes(workflowId) ? list : undefined
    })
    expect(ids).toContain(workflowId)
  })
})
