import { describe, expect, it } from 'vitest'
import { AppError } from '../../../src/errors.ts'
import { assertName, isGlobalName, owns, prefix, strip, tenantProblem } from '../../../src/tenancy/naming.ts'

/** A Conductor `${…}` expression (built, so it is not mistaken for a template). */
const expr = (path: string): string => `$${'{'}${path}}`

describe('tenantProblem', () => {
  it.each(['acme', 'ACME', 'a', 'tenant-1', 'a_b', 'a__b', 'x'.repeat(64), '0'])('accepts %j', (tenant) => {
    expect(tenantProblem(tenant)).toBeUndefined()
  })

  it.each([
    ['', 'empty'],
    ['GLOBAL', 'the shared namespace'],
    ['global', 'the shared namespace in lower case'],
    ['a___b', 'the separator'],
    ['acme:x', "a ':' (Conductor's queue-domain separator)"],
    ['ac me', 'a space'],
    ['acme/..', 'a slash'],
    ['acme%2F', 'a percent sign'],
    ['x'.repeat(65), 'more than 64 characters'],
    ['acme_', 'a trailing underscore (would own acme____x, which reads as acme + _x)'],
    ['acme__', 'two trailing underscores'],
    ['GLOBAL_', 'GLOBAL_ (its names would read as shared GLOBAL___ names)'],
    ['ácme', 'a non-ASCII letter'],
    ['acme\n', 'a newline'],
  ])('refuses %j: %s', (tenant) => {
    expect(tenantProblem(tenant)).toEqual(expect.any(String))
  })
})

describe('assertName', () => {
  it.each(['wf', 'my-wf.v2', 'a_b', 'A'.repeat(200)])('accepts %j', (name) => {
    expect(assertName(name, 'x')).toBe(name)
  })

  it.each([
    ['', 'empty'],
    ['a___b', 'the separator'],
    ['GLOBAL___x', 'a GLOBAL name'],
    ['a:b', 'a colon'],
    ['a b', 'a space'],
    [expr('workflow.input.name'), 'an expression Conductor would resolve'],
    ['../x', 'a slash'],
    ['A'.repeat(201), 'more than 200 characters'],
    [42, 'a number'],
    [null, 'null'],
    [undefined, 'nothing'],
  ])('refuses %j (%s) with FG_ERR_GATEWAY_NAME_INVALID naming the field', (name, _why) => {
    try {
      assertName(name, 'body.name')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(AppError)
      expect((error as AppError).code).toBe('FG_ERR_GATEWAY_NAME_INVALID')
      expect((error as AppError).status).toBe(400)
      expect((error as AppError).errors?.[0]?.where).toBe('body.name')
    }
  })
})

describe('prefix', () => {
  it('prefixes a name with the tenant and the separator', () => {
    expect(prefix('acme', 'charge', 'x')).toBe('acme___charge')
  })

  it('keeps a GLOBAL___ task name when shared names are allowed', () => {
    expect(prefix('acme', 'GLOBAL___notify', 'x', true)).toBe('GLOBAL___notify')
  })

  it('refuses a GLOBAL___ name where shared names are not allowed', () => {
    expect(() => prefix('acme', 'GLOBAL___notify', 'x')).toThrow(AppError)
  })

  it.each(['GLOBAL___', 'GLOBAL___a___b', 'GLOBAL___a:b'])('refuses the malformed shared name %j', (name) => {
    expect(() => prefix('acme', name, 'x', true)).toThrow(AppError)
  })

  it("refuses another tenant's full name, so it cannot be addressed through the prefix", () => {
    expect(() => prefix('acme', 'globex___charge', 'x', true)).toThrow(AppError)
  })
})

describe('strip', () => {
  it.each([
    ['acme___wf', false, 'wf'],
    ['acme___a_b', false, 'a_b'],
    ['GLOBAL___notify', true, 'GLOBAL___notify'],
    ['GLOBAL___notify', false, undefined],
    ['globex___wf', true, undefined],
    ['acme___', false, undefined],
    ['acmex___wf', false, undefined],
    ['wf', true, undefined],
    ['GLOBAL___', true, undefined],
    [42, true, undefined],
    [null, true, undefined],
  ] as const)('strip(acme, %j, allowGlobal=%j) is %j', (name, allowGlobal, expected) => {
    expect(strip('acme', name, allowGlobal)).toBe(expected)
  })
})

describe('owns and isGlobalName', () => {
  it.each([
    ['acme___wf', true],
    ['acme___', false],
    ['globex___wf', false],
    ['acm___wf', false],
    ['GLOBAL___x', false],
    [undefined, false],
  ] as const)('owns(acme, %j) is %j', (name, expected) => {
    expect(owns('acme', name)).toBe(expected)
  })

  it.each([
    ['GLOBAL___x', true],
    ['GLOBAL___', false],
    ['global___x', false],
    ['GLOBALx', false],
  ] as const)('isGlobalName(%j) is %j', (name, expected) => {
    expect(isGlobalName(name)).toBe(expected)
  })

  it('never lets two valid tenants own the same Conductor name', () => {
    const tenants = ['a', 'a_b', 'a-b', 'a__b', 'ab', 'b', 'GLOBALX']
    const names = ['x', '_x', '__x', 'x_', 'b___x'].filter((name) => !name.includes('___'))
    for (const tenant of tenants.filter((t) => tenantProblem(t) === undefined)) {
      for (const name of names) {
        const full = prefix(tenant, name, 'x')
        const owners = tenants.filter((t) => tenantProblem(t) === undefined && owns(t, full))
        expect(owners).toEqual([tenant])
        expect(isGlobalName(full)).toBe(false)
      }
    }
  })
})
