import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import { clientConditions, ownerCondition, tenantCondition } from '../../../src/tenancy/search-query.ts'

/** A Conductor `${…}` expression (built, so it is not mistaken for a template). */
const expr = (path: string): string => `$${'{'}${path}}`

describe('clientConditions', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['   ', []],
    ['status = RUNNING', ['status = RUNNING']],
    ['status IN (RUNNING,FAILED)', ['status IN (RUNNING,FAILED)']],
    ['workflowType = orders', ['workflowType = acme___orders']],
    ['workflowType IN (a, b)', ['workflowType IN (acme___a,acme___b)']],
    ['workflowType != orders', ['workflowType != acme___orders']],
    ['startTime > 1700000000000 and status = FAILED', ['startTime > 1700000000000', 'status = FAILED']],
    ['correlationId IN (a@b.c)', ['correlationId IN (a@b.c)']],
  ])('turns %j into %j', (query, expected) => {
    expect(clientConditions(query, 'acme')).toEqual(expected)
  })

  it.each([
    ["status = 'RUNNING'", 'single quotes'],
    ['status = "RUNNING"', 'double quotes'],
    ['status = RUNNING OR status = FAILED', 'OR'],
    ['(status = RUNNING)', 'parentheses'],
    ['workflowType STARTS_WITH acme', 'STARTS_WITH'],
    ['input.secret = x', 'a dotted field'],
    ['password = x', 'an unknown field'],
    ['WorkflowType = x', 'a field in the wrong case'],
    ['workflowType = globex___x', "another tenant's name"],
    ['workflowType IN (a,globex___x)', "another tenant's name in a list"],
    ['workflowType IN ()', 'an empty list'],
    [`workflowType = ${expr('x')}`, 'an expression'],
    ['status = RUNNING AND', 'a dangling AND'],
    ['status IN (a) OR (b)', 'a list followed by more'],
  ])('refuses %j (%s) with 400', (query) => {
    try {
      clientConditions(query, 'acme')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).status).toBe(400)
    }
  })
})

describe('tenantCondition', () => {
  it('lists the names with IN and no quotes', () => {
    expect(tenantCondition(['acme___a', 'acme___b'])).toBe('workflowType IN (acme___a,acme___b)')
  })

  it('is undefined when the tenant has no workflows', () => {
    expect(tenantCondition([])).toBeUndefined()
  })

  it('leaves out names that cannot be written unquoted', () => {
    expect(tenantCondition(['acme___a', 'acme___b c', 'acme___d,e', 'acme___(x)'])).toBe(
      'workflowType IN (acme___a)'
    )
  })
})

describe('ownerCondition', () => {
  it.each([
    ['alice@acme.test', 'correlationId IN (alice@acme.test)'],
    ['a+b_c-d.e', 'correlationId IN (a+b_c-d.e)'],
    ['a b', undefined],
    ["a')", undefined],
    ['a,b', undefined],
    ['', undefined],
  ])('for %j is %j', (user, expected) => {
    expect(ownerCondition(user)).toBe(expected)
  })
})
