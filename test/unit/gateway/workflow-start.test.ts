import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, problemOf } from './helpers.ts'

describe.each(['acme', 'globex'])('workflow executions of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('POST /api/workflow', () => {
    it.each([
      ['an admin', admin],
      ['an operator (labelled definition)', operator],
    ])('starts as %s in the tenant domain, correlated to and created by the user', async (_, user) => {
      const world = buildGateway()
      const response = await call(world, user, 'POST', '/api/workflow', {
        body: {
          name: 'labelled',
          version: 1,
          input: { a: 1 },
          correlationId: 'spoofed',
          createdBy: 'spoofed',
        },
      })
      expect(response.status).toBe(200)
      const id = await response.text()
      const [start] = world.conductor.calls('POST', '/api/workflow')
      expect(start?.body).toEqual({
        name: `${tenant}___labelled`,
        version: 1,
        input: { a: 1 },
        taskToDomain: { '*': tenant },
        correlationId: user.user,
        createdBy: user.user,
      })
      expect(world.conductor.executions.get(id)).toMatchObject({
        workflowName: `${tenant}___labelled`,
        correlationId: user.user,
      })
    })

    it('checks an operator may see the definition before starting it', async () => {
      const world = buildGateway()
      await call(world, operator, 'POST', '/api/workflow', { body: { name: 'labelled', version: '1' } })
      const [check] = world.conductor.calls('GET', `/api/metadata/workflow/${tenant}___labelled`)
      expect(check?.query.get('version')).toBe('1')
    })

    it('answers an operator 403 for an unlabelled definition and starts nothing', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'POST', '/api/workflow', { body: { name: 'private' } })
      expect(response.status).toBe(403)
      expect(world.conductor.calls('POST', '/api/workflow')).toEqual([])
    })

    it('answers an operator 404 for an unknown definition, scrubbed', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'POST', '/api/workflow', { body: { name: 'nope' } })
      expect(response.status).toBe(404)
      expect(await response.text()).not.toContain(`${tenant}___`)
      expect(world.conductor.calls('POST', '/api/workflow')).toEqual([])
    })

    it("answers its own 404 for an admin's unknown definition, without Conductor's text", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/workflow', { body: { name: 'nope' } })
      expect(response.status).toBe(404)
      const text = await response.text()
      expect(JSON.parse(text)).toMatchObject({ code: 'FG_ERR_GATEWAY_NOT_FOUND' })
      expect(text).not.toContain('defined. name=')
    })

    it("cannot start the other tenant's workflow by its full name", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/workflow', {
        body: { name: `${foreign}___private` },
      })
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it.each([
      ['taskToDomain', { taskToDomain: { '*': 'globex' } }, 'FG_ERR_GATEWAY_FIELD_FORBIDDEN'],
      ['an empty taskToDomain', { taskToDomain: {} }, 'FG_ERR_GATEWAY_FIELD_FORBIDDEN'],
      [
        "another tenant's external input payload",
        { externalInputPayloadStoragePath: 'globex/payload.json' },
        'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      ],
      [
        'workflowDef',
        { workflowDef: { name: 'x', tasks: [{ name: 'h', type: 'HTTP' }] } },
        'FG_ERR_GATEWAY_FIELD_FORBIDDEN',
      ],
      ['no name', { name: undefined }, 'FG_ERR_HTTP_BAD_REQUEST'],
      ['a numeric name', { name: 7 }, 'FG_ERR_HTTP_BAD_REQUEST'],
      ['a name with a colon', { name: 'a:b' }, 'FG_ERR_GATEWAY_NAME_INVALID'],
      ['a version that is not a number', { version: 'latest' }, 'FG_ERR_HTTP_BAD_REQUEST'],
      ['a priority over 99', { priority: 100 }, 'FG_ERR_HTTP_BAD_REQUEST'],
      ['an input that is an array', { input: [1] }, 'FG_ERR_HTTP_BAD_REQUEST'],
    ])('answers 400 for %s and calls nothing', async (_, extra, code) => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/workflow', {
        body: { name: 'labelled', ...extra },
      })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).code).toBe(code)
      expect(world.conductor.requests).toEqual([])
    })

    it('answers 400 (not a 500 stack overflow) for an input nested 100000 levels deep', async () => {
      const world = buildGateway()
      const body = `{"name":"labelled","input":{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`
      const response = await call(world, admin, 'POST', '/api/workflow', { body })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).detail).toBe('The body nests deeper than 1000 levels.')
      expect(world.conductor.requests).toEqual([])
    })

    it('accepts an input nested as deep as Conductor allows', async () => {
      const world = buildGateway()
      const body = `{"name":"labelled","input":{"a":${'['.repeat(990)}${']'.repeat(990)}}}`
      expect((await call(world, admin, 'POST', '/api/workflow', { body })).status).toBe(200)
    })

    it('answers 400 for a body that is not an object', async () => {
      const world = buildGateway()
      expect((await call(world, admin, 'POST', '/api/workflow', { body: ['labelled'] })).status).toBe(400)
    })
  })
})
