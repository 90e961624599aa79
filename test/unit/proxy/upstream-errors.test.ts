import { describe, expect, it } from 'vitest'
import {
  BODY_UNREADABLE,
  EngineAnswer,
  type EngineRefusal,
  EVENT_HANDLER_EXISTS,
  EVENT_HANDLER_MISSING,
  refusalOf,
  SEARCH_REFUSALS,
  TASK_DEF_MISSING,
  TASK_DEF_MISSING_ON_DELETE,
  TASK_DEF_MISSING_ON_UPDATE,
  WORKFLOW_DEF_EXISTS,
  WORKFLOW_DEF_MISSING,
  WORKFLOW_DEF_MISSING_ON_DELETE,
} from '../../../src/proxy/upstream-errors.ts'
import { ALICE, buildGateway, headersOf } from '../../conformance/gateway-world.ts'

/** Conductor 3.21.14's error body around `message`, as both back-ends send it. */
const body = (status: number, message: string) =>
  JSON.stringify({ status, message, instance: 'vm', retryable: false })

// Messages copied from the real Conductor 3.21.14 (memory and PostgreSQL back-ends).
const MAPPED: Array<[string, EngineRefusal | readonly EngineRefusal[], number, string, string]> = [
  [
    'a missing event handler (PostgreSQL)',
    EVENT_HANDLER_MISSING,
    500,
    'EventHandler with name acme___x not found!',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing event handler (memory)',
    EVENT_HANDLER_MISSING,
    404,
    'EventHandler with name acme___x not found!',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'an existing event handler (PostgreSQL)',
    EVENT_HANDLER_EXISTS,
    500,
    'EventHandler with name acme___x already exists!',
    'FG_ERR_GATEWAY_CONFLICT',
  ],
  [
    'an existing event handler (memory)',
    EVENT_HANDLER_EXISTS,
    409,
    'EventHandler with name acme___x already exists!',
    'FG_ERR_GATEWAY_CONFLICT',
  ],
  [
    'a missing definition to delete (PostgreSQL)',
    WORKFLOW_DEF_MISSING_ON_DELETE,
    500,
    'No such workflow definition: acme___x version: 1',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing definition to delete (memory)',
    WORKFLOW_DEF_MISSING_ON_DELETE,
    404,
    'Cannot remove the workflow - no such workflow definition: acme___x version: 1',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing definition to read',
    WORKFLOW_DEF_MISSING,
    404,
    'No such workflow found by name: acme___x, version: null',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing definition version to read',
    WORKFLOW_DEF_MISSING,
    404,
    'No such workflow found by name: acme___x, version: 3',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'an existing definition (PostgreSQL)',
    WORKFLOW_DEF_EXISTS,
    500,
    'Workflow with acme___x.1 already exists!',
    'FG_ERR_GATEWAY_CONFLICT',
  ],
  [
    'an existing definition (memory)',
    WORKFLOW_DEF_EXISTS,
    409,
    'Workflow with acme___x.1 already exists!',
    'FG_ERR_GATEWAY_CONFLICT',
  ],
  [
    'a missing task definition to delete (PostgreSQL)',
    TASK_DEF_MISSING_ON_DELETE,
    500,
    'No such task definition',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing task definition to delete (memory)',
    TASK_DEF_MISSING_ON_DELETE,
    404,
    'Cannot remove the task - no such task definition',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing task definition to update',
    TASK_DEF_MISSING_ON_UPDATE,
    404,
    'No such task by name acme___x',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a missing task definition to read',
    TASK_DEF_MISSING,
    404,
    'No such taskType found by name: acme___x',
    'FG_ERR_GATEWAY_NOT_FOUND',
  ],
  [
    'a field of the wrong type',
    BODY_UNREADABLE,
    500,
    'JSON parse error: Cannot deserialize value of type `com.netflix.conductor.common.metadata.workflow.WorkflowDef$TimeoutPolicy` from String "NOPE": not one of the values accepted for Enum class: [TIME_OUT_WF, ALERT_ONLY]',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  [
    'a tsquery syntax error',
    SEARCH_REFUSALS,
    500,
    'ERROR: syntax error in tsquery: "a b("',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  [
    'a tsquery without operand',
    SEARCH_REFUSALS,
    500,
    'ERROR: no operand in tsquery: "!"',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  ['a time that is not a number', SEARCH_REFUSALS, 500, 'For input string: "abc"', 'FG_ERR_HTTP_BAD_REQUEST'],
  [
    'an unbindable condition',
    SEARCH_REFUSALS,
    500,
    'Could not apply bind parameter at index 3',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  [
    'a field without a column',
    SEARCH_REFUSALS,
    500,
    'ERROR: column "task_id" does not exist\n  Position: 50',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  [
    'an operator the column lacks',
    SEARCH_REFUSALS,
    500,
    'ERROR: operator does not exist: character varying = character varying[]\n  Hint: No operator matches',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
  [
    'a cast the column refuses',
    SEARCH_REFUSALS,
    500,
    'ERROR: cannot cast type character varying[] to timestamp with time zone\n  Position: 66',
    'FG_ERR_HTTP_BAD_REQUEST',
  ],
]

// Engine faults that must stay theirs: the database gone, the schema broken, another version's words.
const NOT_MAPPED: Array<[string, EngineRefusal | readonly EngineRefusal[], number, string]> = [
  [
    'a lost database on delete',
    WORKFLOW_DEF_MISSING_ON_DELETE,
    500,
    'Failed to get a connection; HikariPool-1 - Connection is not available',
  ],
  ['a lost database on search', SEARCH_REFUSALS, 500, 'Could not get JDBC Connection'],
  [
    'a missing index table',
    SEARCH_REFUSALS,
    500,
    'ERROR: relation "workflow_index" does not exist\n  Position: 15',
  ],
  ['a statement timeout', SEARCH_REFUSALS, 500, 'ERROR: canceling statement due to statement timeout'],
  [
    'the right words with a server-fault status',
    EVENT_HANDLER_MISSING,
    503,
    'EventHandler with name acme___x not found!',
  ],
  [
    'the right words inside a longer message',
    EVENT_HANDLER_MISSING,
    500,
    'Unexpected: EventHandler with name x not found! while indexing',
  ],
  [
    'a conflict where only a miss is expected',
    EVENT_HANDLER_MISSING,
    500,
    'EventHandler with name acme___x already exists!',
  ],
]

describe('refusalOf', () => {
  it.each(MAPPED)('maps %s', (_, refusals, status, message, code) => {
    const error = refusalOf(status, body(status, message), [refusals].flat())
    expect(error?.code).toBe(code)
    expect(JSON.stringify({ detail: error?.detail, errors: error?.errors })).not.toMatch(
      /acme|tsquery|ERROR|column|bind|input string|JSON parse|netflix/
    )
    expect(error?.cause).toBeInstanceOf(EngineAnswer)
    expect(String(error?.cause)).toContain(message)
  })

  it.each(NOT_MAPPED)('leaves %s to the engine', (_, refusals, status, message) => {
    expect(refusalOf(status, body(status, message), [refusals].flat())).toBeUndefined()
  })

  it.each(['', 'not json', '"a string"', 'null', '{"message":42}', '<html>500</html>'])(
    'leaves a body that is not Conductor’s error shape (%j) to the engine',
    (text) => {
      expect(refusalOf(500, text, SEARCH_REFUSALS)).toBeUndefined()
    }
  )
})

describe('engine refusals through the gateway', () => {
  const ADMIN_HEADERS = headersOf(ALICE)

  it('answers a refused search 400 and logs what the engine said at debug', async () => {
    const world = buildGateway()
    world.conductor.override = (request) =>
      request.path === '/api/workflow/search'
        ? new Response(body(500, 'ERROR: syntax error in tsquery: "a b("'), { status: 500 })
        : undefined
    const response = await world.app.request('/api/workflow/search?freeText=a%20b(', {
      headers: ADMIN_HEADERS,
    })
    expect(response.status).toBe(400)
    const text = await response.text()
    expect(text).not.toMatch(/tsquery|ERROR/)
    expect(JSON.parse(text).errors).toEqual([
      { where: 'freeText', message: 'not a full-text query the engine can parse' },
    ])
    const logged = world.lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'request rejected')
    expect(logged?.level).toBe('debug')
    expect(JSON.stringify(logged)).toContain('syntax error in tsquery')
  })

  it('passes an engine fault on a mapped route on as before (500, scrubbed)', async () => {
    const world = buildGateway()
    world.conductor.override = (request) =>
      request.method === 'DELETE'
        ? new Response(body(500, 'Could not get JDBC Connection for acme___x'), {
            status: 500,
            headers: { 'content-type': 'application/json' },
          })
        : undefined
    const response = await world.app.request('/api/event/x', { method: 'DELETE', headers: ADMIN_HEADERS })
    expect(response.status).toBe(500)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.text()).toBe(body(500, 'Could not get JDBC Connection for x'))
  })
})
