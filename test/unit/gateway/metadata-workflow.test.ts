import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf, problemOf } from './helpers.ts'

type Def = {
  name: string
  tasks: Array<Record<string, unknown>>
  ownerEmail?: string
  failureWorkflow?: string
}

const http = { name: 'call', taskReferenceName: 'call', type: 'HTTP' }

describe.each(['acme', 'globex'])('workflow definitions of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('GET /api/metadata/workflow', () => {
    it("lists the tenant's definitions to an admin, de-prefixed, and nothing of the other tenant", async () => {
      const world = buildGateway()
      const defs = await jsonOf<Def[]>(await call(world, admin, 'GET', '/api/metadata/workflow'))
      expect(defs.map((def) => def.name).sort()).toEqual(['labelled', 'notifier', 'private'])
      const text = JSON.stringify(defs)
      expect(text).not.toContain('___charge')
      expect(text).not.toContain(foreign)
      expect(text).toContain('GLOBAL___notify')
      expect(world.conductor.calls('GET', '/api/metadata/workflow')).toHaveLength(1)
    })

    it('lists only the definitions labelled for an operator', async () => {
      const world = buildGateway()
      const defs = await jsonOf<Def[]>(await call(world, operator, 'GET', '/api/metadata/workflow'))
      expect(defs.map((def) => def.name).sort()).toEqual(['labelled', 'notifier'])
    })

    it("hides a definition that names the tenant but runs another tenant's task", async () => {
      const world = buildGateway()
      const defs = await jsonOf<Def[]>(await call(world, adminOf('acme'), 'GET', '/api/metadata/workflow'))
      expect(defs.map((def) => def.name)).not.toContain('mixed')
      expect(JSON.stringify(defs)).not.toContain('globex')
    })
  })

  describe('GET /api/metadata/workflow, remembered rewrite', () => {
    const names = async (world: ReturnType<typeof buildGateway>, user: typeof admin) =>
      (await jsonOf<Def[]>(await call(world, user, 'GET', '/api/metadata/workflow')))
        .map((def) => def.name)
        .sort()

    it('asks Conductor every time and gives each kind of caller its own view, in any order', async () => {
      const world = buildGateway()
      for (let round = 0; round < 2; round++) {
        expect(await names(world, operator)).toEqual(['labelled', 'notifier'])
        expect(await names(world, admin)).toEqual(['labelled', 'notifier', 'private'])
        const theirs = await names(world, adminOf(foreign))
        expect(theirs.length).toBeGreaterThan(0)
        const text = JSON.stringify(
          await jsonOf(await call(world, adminOf(foreign), 'GET', '/api/metadata/workflow'))
        )
        expect(text).not.toContain(tenant)
      }
      expect(world.conductor.calls('GET', '/api/metadata/workflow')).toHaveLength(8)
    })

    it('shows a definition created in between (new bytes from Conductor, new rewrite)', async () => {
      const world = buildGateway()
      expect(await names(world, admin)).not.toContain('fresh')
      const created = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: {
          name: 'fresh',
          version: 1,
          tasks: [{ name: 'GLOBAL___notify', taskReferenceName: 'n', type: 'SIMPLE' }],
        },
      })
      expect(created.status).toBeLessThan(300)
      expect(await names(world, admin)).toContain('fresh')
      expect(await names(world, adminOf(foreign))).not.toContain('fresh')
    })

    it('keeps views apart for non-admins with other groups', async () => {
      const world = buildGateway()
      const stranger = { ...operator, user: 'stranger@example.com', groups: 'nobody' }
      expect(await names(world, operator)).toEqual(['labelled', 'notifier'])
      expect(await names(world, stranger)).toEqual([])
      expect(await names(world, operator)).toEqual(['labelled', 'notifier'])
    })
  })

  describe('GET /api/metadata/workflow/:name', () => {
    it('returns an admin the definition de-prefixed, asking Conductor for the prefixed name and version', async () => {
      const world = buildGateway()
      const def = await jsonOf<Def>(
        await call(world, admin, 'GET', '/api/metadata/workflow/private?version=1')
      )
      expect(def).toMatchObject({ name: 'private', failureWorkflow: 'labelled', tasks: [{ name: 'bar' }] })
      const [request] = world.conductor.calls('GET', `/api/metadata/workflow/${tenant}___private`)
      expect(request?.query.get('version')).toBe('1')
    })

    it('returns an operator a definition labelled for them', async () => {
      const world = buildGateway()
      const def = await jsonOf<Def>(await call(world, operator, 'GET', '/api/metadata/workflow/labelled'))
      expect(def.name).toBe('labelled')
    })

    it('answers an operator 403 for an unlabelled definition', async () => {
      const response = await call(buildGateway(), operator, 'GET', '/api/metadata/workflow/private')
      expect(response.status).toBe(403)
      expect((await problemOf(response)).code).toBe('FG_ERR_RBAC_FORBIDDEN')
    })

    it('answers 427 instead when the compatibility switch is set', async () => {
      const world = buildGateway('[auth]\ndeny_status = 427')
      expect((await call(world, operator, 'GET', '/api/metadata/workflow/private')).status).toBe(427)
    })

    it('answers 404 FG_ERR_GATEWAY_NOT_FOUND for a name only the other tenant has', async () => {
      const world = buildGateway()
      world.conductor.defs.set(
        `${foreign}___theirs`,
        new Map([[1, { name: `${foreign}___theirs`, tasks: [] }]])
      )
      const response = await call(world, admin, 'GET', '/api/metadata/workflow/theirs')
      expect(response.status).toBe(404)
      const problem = await problemOf(response)
      expect(problem.code).toBe('FG_ERR_GATEWAY_NOT_FOUND')
      expect(JSON.stringify(problem)).not.toMatch(/theirs|___/)
      expect(world.conductor.calls('GET', `/api/metadata/workflow/${tenant}___theirs`)).toHaveLength(1)
    })

    it.each([
      ['the other tenant’s full name', (t: string) => `${other(t)}___labelled`],
      ['a name with a colon', () => 'a:b'],
      ['an encoded slash', () => 'a%2Fb'],
      ['a GLOBAL name', () => 'GLOBAL___notify'],
    ])('answers 400 for %s without calling Conductor', async (_, name) => {
      const world = buildGateway()
      const response = await call(world, admin, 'GET', `/api/metadata/workflow/${name(tenant)}`)
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it.each(['x', '-1', '1.5', '1e3', '9999999999'])('answers 400 for the version %j', async (version) => {
      const world = buildGateway()
      const response = await call(world, admin, 'GET', `/api/metadata/workflow/labelled?version=${version}`)
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('POST /api/metadata/workflow', () => {
    const def = {
      name: 'orders',
      ownerEmail: 'spoofed@example.test',
      tasks: [
        { name: 'charge', taskReferenceName: 'charge' },
        {
          name: 'sub',
          taskReferenceName: 'sub',
          type: 'SUB_WORKFLOW',
          subWorkflowParam: { name: 'labelled', version: 1 },
        },
      ],
      failureWorkflow: 'private',
    }

    it('creates the definition prefixed, owned by the admin', async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', { body: def })
      expect(response.status).toBe(200)
      const [request] = world.conductor.calls('POST', '/api/metadata/workflow')
      expect(request?.body).toEqual({
        name: `${tenant}___orders`,
        ownerEmail: admin.user,
        tasks: [
          { name: `${tenant}___charge`, taskReferenceName: 'charge' },
          {
            name: `${tenant}___sub`,
            taskReferenceName: 'sub',
            type: 'SUB_WORKFLOW',
            subWorkflowParam: { name: `${tenant}___labelled`, version: 1 },
          },
        ],
        failureWorkflow: `${tenant}___private`,
      })
      expect(world.conductor.defs.has(`${tenant}___orders`)).toBe(true)
    })

    it('answers an operator 403 without calling Conductor', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'POST', '/api/metadata/workflow', { body: def })
      expect(response.status).toBe(403)
      expect(world.conductor.requests).toEqual([])
    })

    it("answers Conductor's conflict as 409 FG_ERR_GATEWAY_CONFLICT, without the engine's text", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: { name: 'labelled', tasks: [{ name: 'x' }] },
      })
      expect(response.status).toBe(409)
      const problem = await problemOf(response)
      expect(problem.code).toBe('FG_ERR_GATEWAY_CONFLICT')
      expect(JSON.stringify(problem)).not.toMatch(/labelled|Workflow with/)
    })

    it.each([
      ['at the top level', [http]],
      [
        'in a SWITCH case',
        [{ name: 's', taskReferenceName: 's', type: 'SWITCH', decisionCases: { a: [http] } }],
      ],
      ['in a FORK branch', [{ name: 'f', taskReferenceName: 'f', type: 'FORK_JOIN', forkTasks: [[http]] }]],
      [
        'in a DO_WHILE loop',
        [{ name: 'l', taskReferenceName: 'l', type: 'DO_WHILE', loopOver: [{ name: 'i', type: 'INLINE' }] }],
      ],
      [
        'as a DYNAMIC task',
        [{ name: 'd', taskReferenceName: 'd', type: 'DYNAMIC', dynamicTaskNameParam: 'x' }],
      ],
    ])('answers 400 for a forbidden task type %s, without calling Conductor', async (_, tasks) => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: { name: 'w', tasks },
      })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).code).toBe('FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN')
      expect(world.conductor.requests).toEqual([])
    })

    it.each([
      ['taskToDomain', { taskToDomain: { '*': 'globex' } }],
      ['workflowDefinition', { workflowDefinition: { name: 'inline', tasks: [http] } }],
    ])('answers 400 for subWorkflowParam.%s, without calling Conductor', async (_, extra) => {
      const world = buildGateway()
      const tasks = [
        {
          name: 's',
          taskReferenceName: 's',
          type: 'SUB_WORKFLOW',
          subWorkflowParam: { name: 'labelled', ...extra },
        },
      ]
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: { name: 'w', tasks },
      })
      expect(response.status).toBe(400)
      expect((await problemOf(response)).code).toBe('FG_ERR_GATEWAY_FIELD_FORBIDDEN')
      expect(world.conductor.requests).toEqual([])
    })

    it('answers 400 (not a 500 stack overflow) for tasks nested 20000 loops deep', async () => {
      const world = buildGateway()
      let task = '{"name":"x"}'
      for (let i = 0; i < 20_000; i++) task = `{"name":"l","type":"DO_WHILE","loopOver":[${task}]}`
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: `{"name":"w","tasks":[${task}]}`,
      })
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it("answers 400 for a sub-workflow reference to the other tenant's workflow", async () => {
      const world = buildGateway()
      const tasks = [{ name: 's', type: 'SUB_WORKFLOW', subWorkflowParam: { name: `${foreign}___private` } }]
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body: { name: 'w', tasks },
      })
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it.each([
      ['not JSON', '{"name":', 'application/json', 400],
      ['a non-JSON media type', '{}', 'text/plain', 415],
      ['an array', '[]', 'application/json', 400],
      ['a string', '"w"', 'application/json', 400],
      ['a huge nesting', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'application/json', 400],
    ])('answers %s with %i', async (_, body, type, status) => {
      const world = buildGateway()
      const response = await call(world, admin, 'POST', '/api/metadata/workflow', {
        body,
        headers: { 'content-type': type },
      })
      expect(response.status).toBe(status)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('PUT /api/metadata/workflow', () => {
    it('creates or updates each definition prefixed', async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'PUT', '/api/metadata/workflow', {
        body: [
          { name: 'a', tasks: [{ name: 't' }] },
          { name: 'b', tasks: [{ name: 'GLOBAL___notify' }] },
        ],
      })
      expect(response.status).toBe(200)
      const [request] = world.conductor.calls('PUT', '/api/metadata/workflow')
      expect(
        ((request?.body ?? []) as Def[]).map((def) => [def.name, def.ownerEmail, def.tasks[0]?.name])
      ).toEqual([
        [`${tenant}___a`, admin.user, `${tenant}___t`],
        [`${tenant}___b`, admin.user, 'GLOBAL___notify'],
      ])
      expect(await response.text()).not.toContain(`${tenant}___`)
    })

    it('refuses the whole batch when one definition is bad', async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'PUT', '/api/metadata/workflow', {
        body: [
          { name: 'a', tasks: [] },
          { name: 'b', tasks: [http] },
        ],
      })
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it.each([[{ name: 'a', tasks: [] }], [[]]])(
      'answers 400 for %j (not a non-empty array)',
      async (body) => {
        const world = buildGateway()
        expect((await call(world, admin, 'PUT', '/api/metadata/workflow', { body })).status).toBe(400)
        expect(world.conductor.requests).toEqual([])
      }
    )

    it('answers an operator 403', async () => {
      const world = buildGateway()
      const response = await call(world, operator, 'PUT', '/api/metadata/workflow', {
        body: [{ name: 'a', tasks: [] }],
      })
      expect(response.status).toBe(403)
      expect(world.conductor.requests).toEqual([])
    })
  })

  describe('DELETE /api/metadata/workflow/:name/:version', () => {
    it('deletes the prefixed definition', async () => {
      const world = buildGateway()
      expect((await call(world, admin, 'DELETE', '/api/metadata/workflow/labelled/1')).status).toBe(200)
      expect(world.conductor.calls('DELETE', `/api/metadata/workflow/${tenant}___labelled/1`)).toHaveLength(1)
      expect(world.conductor.defs.get(`${foreign}___labelled`)?.has(1)).toBe(true)
    })

    it("cannot reach the other tenant's definition", async () => {
      const world = buildGateway()
      const response = await call(world, admin, 'DELETE', `/api/metadata/workflow/${foreign}___labelled/1`)
      expect(response.status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })

    it('answers an operator 403 without calling Conductor', async () => {
      const world = buildGateway()
      expect((await call(world, operator, 'DELETE', '/api/metadata/workflow/labelled/1')).status).toBe(403)
      expect(world.conductor.requests).toEqual([])
    })

    it('answers 400 for a non-numeric version', async () => {
      const world = buildGateway()
      expect((await call(world, admin, 'DELETE', '/api/metadata/workflow/labelled/latest')).status).toBe(400)
      expect(world.conductor.requests).toEqual([])
    })
  })
})
