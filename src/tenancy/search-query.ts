/**
 * @module Builds workflow search queries confined to a tenant (and, for non-admins, to the
 * caller's own executions) in the form both of Conductor's index back-ends understand:
 * conditions joined by ` AND `, `IN (a,b)` lists, no quotes, no STARTS_WITH, no OR
 * (reference/conductor-gateway.md §5.4).
 */
import { AppError } from '../errors.ts'
import { prefix } from './naming.ts'

const CONDITION = /^([A-Za-z]+)\s*(=|!=|>|<|IN)\s*(\([^()'"]*\)|[^\s()'"]+)$/
const FIELDS = new Set([
  'workflowId',
  'workflowType',
  'version',
  'status',
  'startTime',
  'updateTime',
  'endTime',
  'correlationId',
  'reasonForIncompletion',
  'taskId',
  'taskType',
  'priority',
])
/** Values that can be listed inside `IN (…)` unquoted. */
const PLAIN_VALUE = /^[A-Za-z0-9_.@+-]{1,200}$/

function invalid(message: string): AppError {
  return new AppError('FG_ERR_HTTP_BAD_REQUEST', { errors: [{ where: 'query', message }] })
}

/** The client's own conditions, checked and with workflow names prefixed. */
export function clientConditions(query: string | undefined, tenant: string): string[] {
  const text = (query ?? '').trim()
  if (text === '') return []
  return text.split(/\s+AND\s+/i).map((part) => {
    const match = CONDITION.exec(part.trim())
    if (!match?.[1] || !match[2] || match[3] === undefined) {
      throw invalid(
        'conditions are `field op value` joined by AND; op is =, !=, >, < or IN (a,b); no quotes or OR'
      )
    }
    const [, field, op, value] = match
    if (!FIELDS.has(field)) throw invalid(`cannot search by ${field}`)
    if (field !== 'workflowType') return `${field} ${op} ${value}`
    const names = op === 'IN' ? value.slice(1, -1).split(',') : [value]
    const prefixed = names.map((name) => prefix(tenant, name.trim(), 'query.workflowType'))
    return op === 'IN' ? `workflowType IN (${prefixed.join(',')})` : `workflowType ${op} ${prefixed[0]}`
  })
}

/** `workflowType IN (…)` over the tenant's workflow names; undefined when the tenant has none. */
export function tenantCondition(ownNames: readonly string[]): string | undefined {
  const names = ownNames.filter((name) => PLAIN_VALUE.test(name))
  return names.length === 0 ? undefined : `workflowType IN (${names.join(',')})`
}

/** `correlationId IN (user)`, or undefined when the user id cannot be written unquoted. */
export function ownerCondition(user: string): string | undefined {
  return PLAIN_VALUE.test(user) ? `correlationId IN (${user})` : undefined
}
