import { describe, expect, it } from 'vitest'
import { claimAt, claimList, firstString, groupName, intersects } from '../../../src/identity/claims.ts'

const CLAIMS = {
  sub: 'u-1',
  email: ' alice@acme.test ',
  preferred_username: '',
  realm_access: { roles: ['OWNER', ' viewer ', '', 7, null] },
  groups: '/ops/network-admin, operators ,',
  nested: { list: ['x'] },
  arr: [{ roles: ['hidden'] }],
}

describe('claimAt', () => {
  it.each([
    ['sub', 'u-1'],
    ['realm_access.roles', CLAIMS.realm_access.roles],
    ['nested.list', ['x']],
    ['missing', undefined],
    ['sub.deeper', undefined],
    ['arr.0.roles', undefined],
    ['__proto__.polluted', undefined],
    ['constructor.name', undefined],
  ])('reads %j', (path, expected) => {
    expect(claimAt(CLAIMS, path)).toEqual(expected)
  })
})

describe('claimList', () => {
  it('keeps the trimmed, non-empty strings of an array claim', () => {
    expect(claimList(CLAIMS, 'realm_access.roles')).toEqual(['OWNER', 'viewer'])
  })

  it('splits a string claim on commas', () => {
    expect(claimList(CLAIMS, 'groups')).toEqual(['/ops/network-admin', 'operators'])
  })

  it.each(['missing', 'sub.deeper', 'nested'])('is empty for the non-list claim %j', (path) => {
    expect(claimList(CLAIMS, path)).toEqual([])
  })
})

describe('firstString', () => {
  it('skips empty claims and trims the first non-empty one', () => {
    expect(firstString(CLAIMS, ['preferred_username', 'email', 'sub'])).toBe('alice@acme.test')
  })

  it('is undefined when no claim is a non-empty string', () => {
    expect(firstString(CLAIMS, ['preferred_username', 'realm_access', 'missing'])).toBeUndefined()
  })
})

describe('groupName', () => {
  it.each([
    ['/ops/network-admin', 'network-admin'],
    ['network-admin', 'network-admin'],
    ['/top', 'top'],
    ['/ops/', 'ops'],
    ['/', '/'],
    ['', ''],
  ])('reads %j as %j', (group, expected) => {
    expect(groupName(group)).toBe(expected)
  })
})

describe('intersects', () => {
  it.each([
    [['OWNER'], ['owner'], true],
    [[' network-admin '], ['NETWORK-ADMIN'], true],
    [['operator'], ['network-admin', 'OWNER'], false],
    [[], ['OWNER'], false],
    [['OWNER'], [], false],
    [['OWN ER'], ['OWNER'], false],
  ])('intersects(%j, %j) is %j', (values, wanted, expected) => {
    expect(intersects(values, wanted)).toBe(expected)
  })
})
