import { describe, expect, it } from 'vitest'
import type { Principal } from '../../../src/identity/principal.ts'
import { defVisibleTo, labelsOf } from '../../../src/tenancy/labels.ts'

describe('labelsOf', () => {
  it.each([
    ['description - ADMIN,OWNER,TEST', ['ADMIN', 'OWNER', 'TEST']],
    ['Orders - OPERATOR, TEST ', ['OPERATOR', 'TEST']],
    ['a - b - OPERATOR,TEST', ['OPERATOR', 'TEST']],
    ['Deploy to pre-prod - OPERATOR', ['OPERATOR']],
    ['accessible to admins only', []],
    ['ends with a dash -', []],
    ['labels - A;B', []],
    ['', []],
    [JSON.stringify({ description: 'x', labels: ['BASICS', ' CLI ', 3] }), ['BASICS', 'CLI']],
    [JSON.stringify({ description: 'no labels - OPERATOR' }), []],
    [JSON.stringify({ labels: 'OPERATOR' }), []],
    ['{not json - OPERATOR', ['OPERATOR']],
    [42, []],
    [undefined, []],
  ])('reads %j as %j', (description, expected) => {
    expect(labelsOf(description)).toEqual(expected)
  })
})

describe('defVisibleTo', () => {
  const user = (groups: string[], roles: string[] = [], isAdmin = false): Principal => ({
    tenant: 'acme',
    user: 'u',
    groups,
    roles,
    isAdmin,
  })

  it.each([
    ['an admin sees an unlabelled definition', user([], [], true), 'admins only', true],
    ['a group matching a label, in another case', user(['operator']), 'x - OPERATOR', true],
    ['a role matching a JSON label', user([], ['Viewer']), '{"labels":["VIEWER"]}', true],
    ['no matching group or role', user(['OTHER']), 'x - OPERATOR', false],
    ['an unlabelled definition for a non-admin', user(['OPERATOR']), 'admins only', false],
    ['a user with no groups', user([]), 'x - OPERATOR', false],
    ['a label only partly matching', user(['OPER']), 'x - OPERATOR', false],
  ])('%s → %j', (_, principal, description, expected) => {
    expect(defVisibleTo(principal, description)).toBe(expected)
  })
})
