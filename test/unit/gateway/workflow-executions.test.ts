import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf, problemOf } from './helpers.ts'

describe.each(['acme', 'globex'])('workflow executions of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('GET /api/workflow/:workflowId', () => {
    it("returns an admin any of the tenant's executions, de-prefixed", async () => {
      const world = buildGateway()
      const execution = await jsonOf<Record<string, unknown>>(
        await call(world, admin, 'GET', `/api/workflow/${execId(operator)}`)
      )
      expect(execution).toMatchObject({
        workflowId: execId(operator),
        workflowName: 'labelled',
        tasks: [
          {
            taskType: 'charge',
            taskDefName: 'charge',
            workflowType: 'labelled',
            workflowTask: { name: 'charge' },
          },
        ],
        workflowDefinition: { name: 'labelled' },
      })
      expect(JSON.stringify(execution)).not.toContain(`${tenant}___`)
      expect(
        world.conductor.calls('GET', `/api/workflow/${execId(operator)}`)[0]?.query.get('includeTasks')
      ).toBe('true')
    })

    it('passes includeTasks=false on', async () => {
      const world = buildGateway()
      await call(world, admin, 'GET', `/api/workflow/${execId(admin)}?includeTasks=false`)
      expect(
        world.conductor.calls('GET', `/api/workflow/${execId(admin)}`)[0]?.query.get('includeTasks')
      ).toBe('false')
    })

    it('returns an operator their own execution', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'GET', `/api/workflow/${execId(operator)}`)
      expect(response.status).toBe(200)
    })

    it("answers an operator 404 for the admin's execution, without its data", async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'GET', `/api/workflow/${execId(admin)}`)
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain('input of')
    })

    it.each(['admin', 'operator'] as const)(
      "answers the %s 404 for each of the other tenant's executions, without their data",
      async (kind) => {
        const world = buildGateway()
        const user = kind === 'admin' ? admin : operator
        for (const id of [execId(adminOf(foreign)), execId(operatorOf(foreign))]) {
          const response = await call(world, user, 'GET', `/api/workflow/${id}`)
          expect(response.status).toBe(404)
          const body = await response.text()
          expect(body).not.toContain(foreign)
          expect(body).not.toContain('input of')
        }
      }
    )

    it('answers 404 when Conductor answers 500 for an unknown id', async () => {
      const world = buildGateway()
      world.conductor.override = () => new Response('{"message":"boom at acme___x"}', { status: 500 })
      const response = await call(world, admin, 'GET', '/api/workflow/unknown-id')
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain('boom')
    })

    it.each(['a%20b', 'a%2F..%2Fb', 'x'.repeat(65), '%00', 'a.b'])(
      'answers 404 for the hostile id %j without calling Conductor',
      async (id) => {
        const world = buildGateway()
        expect((await call(world, admin, 'GET', `/api/workflow/${id}`)).status).toBe(404)
        expect(world.conductor.requests).toEqual([])
      }
    )

    it('answers 502 for an engine execution too large to rewrite', async () => {
      const world = buildGateway('[conductor]\nrewrite_limit = 2048')
      const big = world.conductor.executions.get(execId(admin))
      if (big) big.input = { blob: 'x'.repeat(4096) }
      const response = await call(world, admin, 'GET', `/api/workflow/${execId(admin)}`)
      expect(response.status).toBe(502)
      expect((await problemOf(response)).code).toBe('FG_ERR_UPSTREAM_INVALID')
    })
  })

  describe('DELETE /api/workflow/:workflowId/remove', () => {
    it("lets an admin remove any of the tenant's executions", async () => {
      const world = buildGateway()
      const response = await call(
        world,
        admin,
        'DELETE',
        `/api/workflow/${execId(operator)}/remove?archiveWorkflow=false`
      )
      expect(response.status).toBe(200)
      expect(world.conductor.executions.has(execId(operator))).toBe(false)
      expect(world.conductor.calls('DELETE')[0]?.query.get('archiveWorkflow')).toBe('false')
    })

    it('lets an operator remove their own execution', async () => {
      const world = buildGateway()
      expect((await call(world, operator, 'DELETE', `/api/workflow/${execId(operator)}/remove`)).status).toBe(
        200
      )
      expect(world.conductor.executions.has(execId(operator))).toBe(false)
    })

    it("answers an operator 404 for the admin's execution and removes nothing", async () => {
      const world = buildGateway()
      expect((await call(world, operator, 'DELETE', `/api/workflow/${execId(admin)}/remove`)).status).toBe(
        404
      )
      expect(world.conductor.calls('DELETE')).toEqual([])
      expect(world.conductor.executions.has(execId(admin))).toBe(true)
    })

    it("answers 404 for the other tenant's execution and removes nothing", async () => {
      const world = buildGateway()
      const id = execId(adminOf(foreign))
      expect((await call(world, admin, 'DELETE', `/api/workflow/${id}/remove`)).status).toBe(404)
      expect(world.conductor.calls('DELETE')).toEqual([])
      expect(world.conductor.executions.has(id)).toBe(true)
    })
  })
})
