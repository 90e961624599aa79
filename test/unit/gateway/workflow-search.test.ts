import { describe, expect, it } from 'vitest'
import { adminOf, buildGateway, execId, operatorOf, other } from '../../conformance/gateway-world.ts'
import { call, jsonOf } from './helpers.ts'

type Summary = { workflowId: string; workflowType: string; correlationId: string }
type SearchResult = { totalHits: number; results: Summary[] }

describe.each(['acme', 'globex'])('workflow executions of tenant %s', (tenant) => {
  const admin = adminOf(tenant)
  const operator = operatorOf(tenant)
  const foreign = other(tenant)

  describe('GET /api/workflow/search', () => {
    it("shows an admin the tenant's executions, de-prefixed, asking Conductor in the portable form", async () => {
      const world = buildGateway()
      const result = await jsonOf<SearchResult>(
        await call(world, admin, 'GET', '/api/workflow/search?size=10')
      )
      expect(result.results.map((hit) => hit.workflowId).sort()).toEqual(
        [execId(admin), execId(operator)].sort()
      )
      expect(result.totalHits).toBe(2)
      expect(result.results.map((hit) => hit.workflowType).sort()).toEqual(['labelled', 'private'])
      const [search] = world.conductor.calls('GET', '/api/workflow/search')
      const query = search?.query.get('query') ?? ''
      expect(query).toMatch(new RegExp(`^workflowType IN \\(${tenant}___[a-z_]+(,${tenant}___[a-z_]+)*\\)$`))
      expect(query).not.toMatch(/['"]|STARTS_WITH| OR /)
      expect(search?.query.get('size')).toBe('10')
    })

    it('shows an operator only their own executions', async () => {
      const world = buildGateway()
      const result = await jsonOf<SearchResult>(await call(world, operator, 'GET', '/api/workflow/search'))
      expect(result.results.map((hit) => hit.workflowId)).toEqual([execId(operator)])
      expect(result.totalHits).toBe(1)
      const query = world.conductor.calls('GET', '/api/workflow/search')[0]?.query.get('query')
      expect(query).toContain(` AND correlationId IN (${operator.user})`)
    })

    it("filters out the other tenant's hits even when the index ignores the query", async () => {
      const world = buildGateway()
      world.conductor.override = (request) =>
        request.path === '/api/workflow/search'
          ? new Response(
              JSON.stringify({
                totalHits: 4,
                results: [...world.conductor.executions.values()].map((e) => ({
                  workflowId: e.workflowId,
                  workflowType: e.workflowName,
                  correlationId: e.correlationId,
                })),
              }),
              { headers: { 'content-type': 'application/json' } }
            )
          : undefined
      const asAdmin = await jsonOf<SearchResult>(await call(world, admin, 'GET', '/api/workflow/search'))
      expect(asAdmin.results.map((hit) => hit.workflowId).sort()).toEqual(
        [execId(admin), execId(operator)].sort()
      )
      expect(asAdmin.totalHits).toBe(2)
      expect(JSON.stringify(asAdmin)).not.toContain(foreign)
      const asOperator = await jsonOf<SearchResult>(
        await call(world, operator, 'GET', '/api/workflow/search')
      )
      expect(asOperator.results.map((hit) => hit.workflowId)).toEqual([execId(operator)])
      expect(asOperator.totalHits).toBe(1)
    })

    it('prefixes workflow names in the client query and keeps its other conditions', async () => {
      const world = buildGateway()
      await call(
        world,
        admin,
        'GET',
        `/api/workflow/search?query=${encodeURIComponent('workflowType IN (labelled) AND status = RUNNING')}`
      )
      const query = world.conductor.calls('GET', '/api/workflow/search')[0]?.query.get('query') ?? ''
      // The prefixed workflowType condition confines the search by itself: no tenant-wide list.
      expect(query).toBe(`workflowType IN (${tenant}___labelled) AND status = RUNNING`)
      expect(world.conductor.calls('GET', '/api/metadata/workflow')).toHaveLength(0)
    })

    it("adds the tenant's workflow list when the client names no workflowType", async () => {
      const world = buildGateway()
      await call(world, admin, 'GET', `/api/workflow/search?query=${encodeURIComponent('status = RUNNING')}`)
      const query = world.conductor.calls('GET', '/api/workflow/search')[0]?.query.get('query') ?? ''
      expect(query.startsWith(`status = RUNNING AND workflowType IN (${tenant}___`)).toBe(true)
    })

    it.each([
      ["status = 'RUNNING'"],
      ['status = RUNNING OR correlationId = x'],
      [`workflowType = ${other(tenant)}___private`],
      ['workflowType STARTS_WITH a'],
      ['x'.repeat(4001)],
    ])('answers 400 for the query %j without searching', async (query) => {
      const world = buildGateway()
      const response = await call(
        world,
        admin,
        'GET',
        `/api/workflow/search?query=${encodeURIComponent(query)}`
      )
      expect(response.status).toBe(400)
      expect(world.conductor.calls('GET', '/api/workflow/search')).toEqual([])
    })

    it.each(['size=0', 'size=5001', 'start=-1', 'size=abc', 'sort=startTime:SIDEWAYS', 'sort=a;b'])(
      'answers 400 for %s',
      async (params) => {
        const world = buildGateway()
        expect((await call(world, admin, 'GET', `/api/workflow/search?${params}`)).status).toBe(400)
        expect(world.conductor.requests).toEqual([])
      }
    )

    it('takes an empty sort (as the JS SDK sends it) for no order, and sends none', async () => {
      const world = buildGateway()
      expect((await call(world, admin, 'GET', '/api/workflow/search?sort=&size=10')).status).toBe(200)
      expect(world.conductor.calls('GET', '/api/workflow/search')[0]?.query.has('sort')).toBe(false)
    })

    it('answers an empty result without searching when the tenant has no workflows', async () => {
      const world = buildGateway('', false)
      const result = await jsonOf<SearchResult>(await call(world, admin, 'GET', '/api/workflow/search'))
      expect(result).toEqual({ totalHits: 0, results: [] })
      expect(world.conductor.calls('GET', '/api/workflow/search')).toEqual([])
    })
  })
})
