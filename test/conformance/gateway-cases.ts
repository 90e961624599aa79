/**
 * @module The Conductor gateway cases every runtime must pass alike: tenant isolation, roles,
 * forced start fields, header hygiene and upstream failures, against the in-process fake
 * Conductor. Plain async functions with node:assert/strict, registered by the runtime shims.
 */
import assert from 'node:assert/strict'
import type { ConformanceCase } from './cases.ts'
import {
  ALICE,
  buildGateway,
  execId,
  type GatewayWorld,
  GINA,
  headersOf,
  OSCAR,
  OTTO,
  taskId,
  type User,
} from './gateway-world.ts'

function request(
  world: GatewayWorld,
  user: User | undefined,
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
  signal?: AbortSignal
): Promise<Response> {
  const headers: Record<string, string> = { ...(user ? headersOf(user) : {}), ...extra }
  const init: RequestInit = { method, headers }
  if (body !== undefined) {
    headers['content-type'] = 'application/json'
    init.body = JSON.stringify(body)
  }
  if (signal) init.signal = signal
  return Promise.resolve(world.app.request(path, init))
}

async function names(response: Response): Promise<string[]> {
  assert.equal(response.status, 200)
  return ((await response.json()) as Array<{ name: string }>).map((def) => def.name).sort()
}

async function code(response: Response): Promise<string> {
  assert.equal(response.headers.get('content-type'), 'application/problem+json')
  return ((await response.json()) as { code: string }).code
}

const HTTP_TASK = { name: 'call', taskReferenceName: 'call', type: 'HTTP' }

export const gatewayCases: ConformanceCase[] = [
  [
    "gateway: lists each tenant's own definitions, de-prefixed, never the other's",
    async () => {
      const world = buildGateway()
      assert.deepEqual(await names(await request(world, ALICE, 'GET', '/api/metadata/workflow')), [
        'labelled',
        'notifier',
        'private',
      ])
      const globex = await request(world, GINA, 'GET', '/proxy/api/metadata/workflow')
      const text = await globex.text()
      assert.doesNotMatch(text, /acme|___charge/)
    },
  ],
  [
    'gateway: an operator sees labelled definitions only and gets 403 for the others',
    async () => {
      const world = buildGateway()
      assert.deepEqual(await names(await request(world, OSCAR, 'GET', '/api/metadata/workflow')), [
        'labelled',
        'notifier',
      ])
      const denied = await request(world, OSCAR, 'GET', '/api/metadata/workflow/private')
      assert.equal(denied.status, 403)
      assert.equal(await code(denied), 'FG_ERR_RBAC_FORBIDDEN')
    },
  ],
  [
    'gateway: a start is forced into the tenant domain, correlated to the user, without client credentials',
    async () => {
      const world = buildGateway()
      const response = await request(
        world,
        OSCAR,
        'POST',
        '/api/workflow',
        { name: 'labelled', correlationId: 'spoofed', createdBy: 'spoofed' },
        { authorization: 'Bearer secret', cookie: 'sid=secret', 'x-request-id': 'conf-1' }
      )
      assert.equal(response.status, 200)
      const start = world.conductor.calls('POST', '/api/workflow')[0]
      assert.deepEqual(start?.body, {
        name: 'acme___labelled',
        taskToDomain: { '*': 'acme' },
        correlationId: OSCAR.user,
        createdBy: OSCAR.user,
      })
      for (const seen of world.conductor.requests) {
        assert.equal(seen.headers.get('authorization'), null)
        assert.equal(seen.headers.get('cookie'), null)
        assert.equal(seen.headers.get('x-request-id'), 'conf-1')
      }
    },
  ],
  [
    'gateway: refuses a client taskToDomain or inline workflowDef on start with 400',
    async () => {
      const world = buildGateway()
      for (const extra of [{ taskToDomain: { '*': 'globex' } }, { workflowDef: { name: 'x', tasks: [] } }]) {
        const response = await request(world, ALICE, 'POST', '/api/workflow', { name: 'labelled', ...extra })
        assert.equal(response.status, 400)
        assert.equal(await code(response), 'FG_ERR_GATEWAY_FIELD_FORBIDDEN')
      }
      assert.deepEqual(world.conductor.requests, [])
    },
  ],
  [
    "gateway: another tenant's or user's execution is a 404 without its data",
    async () => {
      const world = buildGateway()
      for (const [user, id] of [
        [ALICE, execId(GINA)],
        [OTTO, execId(OSCAR)],
        [OSCAR, execId(ALICE)],
      ] as const) {
        const response = await request(world, user, 'GET', `/api/workflow/${id}`)
        assert.equal(response.status, 404)
        assert.doesNotMatch(await response.text(), /input of/)
      }
      const own = await request(world, ALICE, 'GET', `/api/workflow/${execId(OSCAR)}`)
      assert.equal(((await own.json()) as { workflowName: string }).workflowName, 'labelled')
    },
  ],
  [
    'gateway: search is confined to the tenant (and own executions) in the portable query form',
    async () => {
      const world = buildGateway()
      const response = await request(world, OTTO, 'GET', '/api/workflow/search')
      const result = (await response.json()) as { totalHits: number; results: Array<{ workflowId: string }> }
      assert.deepEqual(
        result.results.map((hit) => hit.workflowId),
        [execId(OTTO)]
      )
      const query = world.conductor.calls('GET', '/api/workflow/search')[0]?.query.get('query') ?? ''
      assert.match(query, /^workflowType IN \(globex___[^)]+\) AND correlationId IN \(otto@globex\.test\)$/)
      assert.doesNotMatch(query, /'|STARTS_WITH/)
    },
  ],
  [
    'gateway: forbidden task types are refused at any depth without calling Conductor',
    async () => {
      const world = buildGateway()
      const nests = [
        [{ name: 's', type: 'SWITCH', decisionCases: { a: [HTTP_TASK] } }],
        [{ name: 'f', type: 'FORK_JOIN', forkTasks: [[HTTP_TASK]] }],
        [{ name: 'l', type: 'DO_WHILE', loopOver: [HTTP_TASK] }],
      ]
      for (const tasks of nests) {
        const response = await request(world, ALICE, 'POST', '/api/metadata/workflow', { name: 'w', tasks })
        assert.equal(response.status, 400)
        assert.equal(await code(response), 'FG_ERR_GATEWAY_TASK_TYPE_FORBIDDEN')
      }
      const dynamic = await request(world, ALICE, 'POST', '/api/tasks', {
        taskId: taskId('acme'),
        outputData: { dynamic_tasks: [HTTP_TASK] },
      })
      assert.equal(dynamic.status, 400)
      assert.equal(world.conductor.calls('POST').length, 0)
    },
  ],
  [
    "gateway: bulk operations and task updates never touch the other tenant's objects",
    async () => {
      const world = buildGateway()
      const bulk = await request(world, ALICE, 'PUT', '/api/workflow/bulk/pause', [
        execId(OSCAR),
        execId(GINA),
      ])
      const result = (await bulk.json()) as { bulkSuccessfulResults: string[] }
      assert.deepEqual(result.bulkSuccessfulResults, [execId(OSCAR)])
      assert.equal(world.conductor.executions.get(execId(GINA))?.status, 'RUNNING')
      const update = await request(world, ALICE, 'POST', '/api/tasks', {
        taskId: taskId('globex'),
        status: 'COMPLETED',
      })
      assert.equal(update.status, 404)
      assert.equal(world.conductor.tasks.get(taskId('globex'))?.status, 'SCHEDULED')
    },
  ],
  [
    "gateway: queue sizes and event handlers show the caller's tenant only",
    async () => {
      const world = buildGateway()
      const sizes = await request(world, GINA, 'GET', '/api/tasks/queue/all')
      assert.deepEqual(await sizes.json(), { charge: 1 })
      const events = await request(world, GINA, 'GET', '/api/event')
      assert.deepEqual(await names(events), ['on_done'])
    },
  ],
  [
    "gateway: answers Conductor's refusals of the caller's mistakes with its own problems",
    async () => {
      const world = buildGateway()
      const missing = await request(world, ALICE, 'POST', '/api/workflow', { name: 'nope' })
      assert.equal(missing.status, 404)
      const notFound = (await missing.json()) as { code: string; message?: string }
      assert.equal(notFound.code, 'FG_ERR_GATEWAY_NOT_FOUND')
      assert.equal(notFound.message, undefined)
      const conflict = await request(world, ALICE, 'POST', '/api/metadata/workflow', {
        name: 'labelled',
        tasks: [{ name: 't' }],
      })
      assert.equal(conflict.status, 409)
      const problem = (await conflict.json()) as { code: string; detail: string }
      assert.equal(problem.code, 'FG_ERR_GATEWAY_CONFLICT')
      assert.doesNotMatch(JSON.stringify(problem), /labelled|already exists!/)
    },
  ],
  [
    'gateway: answers 502 when Conductor is down and for an engine body too large to rewrite',
    async () => {
      const down = buildGateway()
      down.conductor.down = true
      const refused = await request(down, ALICE, 'GET', '/api/metadata/workflow')
      assert.equal(refused.status, 502)
      assert.equal(await code(refused), 'FG_ERR_UPSTREAM_UNAVAILABLE')
      const big = buildGateway('[conductor]\nrewrite_limit = 1024')
      const oversized = await request(big, ALICE, 'GET', '/api/metadata/workflow')
      assert.equal(oversized.status, 502)
      assert.equal(await code(oversized), 'FG_ERR_UPSTREAM_INVALID')
    },
  ],
  [
    'gateway: answers 504 when Conductor misses the deadline, and aborts the call',
    async () => {
      const world = buildGateway('[conductor]\ntimeout_ms = 25')
      world.conductor.delayMs = 2_000
      const response = await request(world, ALICE, 'GET', '/api/metadata/workflow')
      assert.equal(response.status, 504)
      assert.equal(await code(response), 'FG_ERR_UPSTREAM_TIMEOUT')
      assert.equal(world.conductor.aborted.length, 1)
    },
  ],
  [
    'gateway: a client that goes away cancels the Conductor call',
    async () => {
      const world = buildGateway('[conductor]\ntimeout_ms = 10000')
      world.conductor.delayMs = 5_000
      const client = new AbortController()
      const pending = request(world, ALICE, 'GET', '/api/metadata/workflow', undefined, {}, client.signal)
      await new Promise((resolve) => setTimeout(resolve, 30))
      client.abort()
      await pending.catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 10))
      assert.equal(world.conductor.aborted.length, 1)
    },
  ],
  [
    'gateway: unknown routes and missing identities never reach Conductor',
    async () => {
      const world = buildGateway()
      const unknown = await request(world, ALICE, 'GET', '/api/admin/config')
      assert.equal(unknown.status, 404)
      const anonymous = await request(world, undefined, 'GET', '/api/metadata/workflow')
      assert.equal(anonymous.status, 401)
      assert.match(anonymous.headers.get('www-authenticate') ?? '', /^Bearer /)
      const badTenant = await request(world, { ...ALICE, tenant: 'GLOBAL' }, 'GET', '/api/metadata/workflow')
      assert.equal(badTenant.status, 400)
      assert.deepEqual(world.conductor.requests, [])
    },
  ],
]
