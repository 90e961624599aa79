/**
 * @module What the gateway answers when the real Conductor refuses a request for the caller's
 * fault — a missing or an existing definition or event handler, a search its PostgreSQL index
 * cannot parse — on both of Conductor's back-ends (memory answers 404/409, PostgreSQL 500):
 * flowgate's own 404, 409 or 400 problem, never the engine's text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Problem } from '../../src/errors.ts'
import { createWorld, simpleDef, type Tenant, type World } from './gateway-world.ts'

/** Words of Conductor's own messages and of its back-ends that must never reach a client. */
const ENGINE_TEXT =
  /EventHandler|already exists|not found!|found by name|definition: |task by name|tsquery|ERROR|SQL|column|bind parameter|input string|JSON parse|deserialize|com\.netflix|___/

async function problemOf(response: Response, status: number): Promise<Problem> {
  const text = await response.text()
  expect(response.status, text).toBe(status)
  expect(response.headers.get('content-type'), text).toBe('application/problem+json')
  expect(text).not.toMatch(ENGINE_TEXT)
  return JSON.parse(text) as Problem
}

const handler = (name: string) => ({
  name,
  event: 'conductor:order:charge_ref',
  active: true,
  actions: [{ action: 'start_workflow', start_workflow: { name: 'order', version: 1 } }],
})

const taskDef = (name: string) => ({ name, retryCount: 0, timeoutSeconds: 60, responseTimeoutSeconds: 30 })

describe.each(['memory', 'postgres'] as const)(
  'engine refusals on Conductor with %s persistence',
  (conductor) => {
    let world: World
    let a: Tenant

    beforeAll(async () => {
      world = await createWorld({ mode: 'headers', conductor })
      ;[a] = world.tenants
      const created = await world.call(a, 'admin', 'PUT', '/api/metadata/workflow', [
        simpleDef('order', 'charge'),
      ])
      expect(created.status, await created.text()).toBe(200)
    })

    afterAll(async () => {
      await world?.close()
    })

    it('answers 404 for deleting an event handler that does not exist', async () => {
      const problem = await problemOf(
        await world.call(a, 'admin', 'DELETE', '/api/event/no_such_handler'),
        404
      )
      expect(problem.code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
    })

    it('answers 404 for updating an event handler that does not exist', async () => {
      const problem = await problemOf(
        await world.call(a, 'admin', 'PUT', '/api/event', handler('no_such')),
        404
      )
      expect(problem.code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
    })

    it('answers 409 for adding an event handler that exists, and keeps the stored one', async () => {
      expect((await world.call(a, 'admin', 'POST', '/api/event', handler('twice'))).status).toBe(200)
      const problem = await problemOf(
        await world.call(a, 'admin', 'POST', '/api/event', handler('twice')),
        409
      )
      expect(problem.code).toBe('FG_ERR_GATEWAY_CONFLICT')
      expect((await world.call(a, 'admin', 'DELETE', '/api/event/twice')).status).toBe(200)
    })

    it.each(['admin', 'operator'] as const)(
      'answers 404 when %s starts a workflow that has no definition',
      async (role) => {
        const started = await world.call(a, role, 'POST', '/api/workflow', {
          name: 'no_such_flow',
          version: 3,
        })
        expect((await problemOf(started, 404)).code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
      }
    )

    it('answers 400 for a start whose fields Conductor cannot read', async () => {
      const started = await world.call(a, 'admin', 'POST', '/api/workflow', {
        name: 'order',
        version: 1,
        priority: 1,
        idempotencyStrategy: 'NO_SUCH_STRATEGY',
      })
      expect((await problemOf(started, 400)).code).toBe('FG_ERR_HTTP_BAD_REQUEST')
    })

    it('answers 404 for deleting a workflow definition version that does not exist', async () => {
      const missing = await world.call(a, 'admin', 'DELETE', '/api/metadata/workflow/no_such_flow/1')
      expect((await problemOf(missing, 404)).code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
      const version = await world.call(a, 'admin', 'DELETE', '/api/metadata/workflow/order/99')
      expect((await problemOf(version, 404)).code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
    })

    it('answers 409 for creating a workflow definition version that exists', async () => {
      const again = await world.call(
        a,
        'admin',
        'POST',
        '/api/metadata/workflow',
        simpleDef('order', 'charge')
      )
      expect((await problemOf(again, 409)).code).toBe('FG_ERR_GATEWAY_CONFLICT')
    })

    it('answers 404 for reading a workflow definition or version that does not exist', async () => {
      for (const path of ['/api/metadata/workflow/no_such_flow', '/api/metadata/workflow/order?version=99']) {
        expect((await problemOf(await world.call(a, 'admin', 'GET', path), 404)).code).toBe(
          'FG_ERR_GATEWAY_NOT_FOUND'
        )
      }
    })

    it('answers 404 for reading, updating or deleting a task definition that does not exist', async () => {
      const calls = [
        world.call(a, 'admin', 'GET', '/api/metadata/taskdefs/no_such_task'),
        world.call(a, 'admin', 'PUT', '/api/metadata/taskdefs', taskDef('no_such_task')),
        world.call(a, 'admin', 'DELETE', '/api/metadata/taskdefs/no_such_task'),
      ]
      for (const response of await Promise.all(calls)) {
        expect((await problemOf(response, 404)).code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
      }
    })

    it.each([
      ['POST', '/api/metadata/workflow', { ...simpleDef('typed', 'charge'), timeoutPolicy: 'NOPE' }],
      ['PUT', '/api/metadata/workflow', [{ ...simpleDef('typed', 'charge'), timeoutSeconds: 'soon' }]],
      ['POST', '/api/metadata/taskdefs', [{ ...taskDef('typed'), retryLogic: 'NOPE' }]],
      ['PUT', '/api/metadata/taskdefs', { ...taskDef('typed'), timeoutSeconds: 'soon' }],
      ['POST', '/api/event', { ...handler('typed'), active: 'maybe' }],
      ['PUT', '/api/event', { ...handler('typed'), active: 'maybe' }],
    ])('answers 400 for %s %s with a field of the wrong type', async (method, path, body) => {
      const problem = await problemOf(await world.call(a, 'admin', method, path, body), 400)
      expect(problem.code).toBe('FG_ERR_HTTP_BAD_REQUEST')
      expect(problem.errors?.map((error) => error.where)).toEqual(['body'])
    })

    it.each([
      ['a full-text query with a syntax error', 'freeText=a%20b(', 'freeText'],
      ['a full-text query without an operand', 'freeText=!', 'freeText'],
      ['a full-text query ending in an operator', 'freeText=order%26', 'freeText'],
      [
        'a time condition that is not a number',
        `query=${encodeURIComponent('startTime > yesterday')}`,
        'query',
      ],
      [
        'a condition on a field the index has no column for',
        `query=${encodeURIComponent('taskId = x')}`,
        'query',
      ],
      ['a condition the index cannot bind', `query=${encodeURIComponent('version IN (1)')}`, 'query'],
    ])('answers 400 (PostgreSQL) or an empty page (memory) for %s', async (_, search, where) => {
      const response = await world.call(a, 'admin', 'GET', `/api/workflow/search?${search}`)
      if (conductor === 'memory') {
        // The in-memory back-end has no index: every search finds nothing.
        expect(response.status, await response.clone().text()).toBe(200)
        expect(await response.json()).toEqual({ totalHits: 0, results: [] })
        return
      }
      const problem = await problemOf(response, 400)
      expect(problem.code).toBe('FG_ERR_HTTP_BAD_REQUEST')
      expect(problem.errors?.map((error) => error.where)).toEqual([where])
    })

    it('still searches with a full-text query the index can parse', async () => {
      const response = await world.call(a, 'admin', 'GET', '/api/workflow/search?freeText=order')
      expect(response.status, await response.clone().text()).toBe(200)
    })
  }
)
