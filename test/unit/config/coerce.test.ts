import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { coerceString, type LeafKind, leafKind } from '../../../src/config/coerce.ts'
import { settingSchema } from '../../../src/config/schema.ts'

function leaf(section: string, key: string): z.ZodType {
  const schema = settingSchema(section, key)
  if (!schema) throw new Error(`no setting ${section}.${key}`)
  return schema
}

describe('leafKind', () => {
  it.each([
    ['server', 'port', 'number'],
    ['server', 'host', 'string'],
    ['log', 'level', 'string'],
    ['log', 'access', 'boolean'],
    ['auth', 'admin_roles', 'list'],
    ['auth', 'jwks_url', 'string'],
    ['task_proxy', 'keycloak_password', 'string'],
    ['worker', 'sleep_seconds', 'number'],
    ['server', 'body_limit', 'other'],
  ] as const)('classifies %s.%s as %s', (section, key, kind) => {
    expect(leafKind(leaf(section, key))).toBe(kind)
  })

  it('looks through optional, default and pipe wrappers', () => {
    const wrapped = z
      .number()
      .pipe(z.number().min(1))
      .optional()
      .default(() => 3)
    expect(leafKind(wrapped)).toBe('number')
  })
})

describe('coerceString', () => {
  it.each<[LeafKind, string, unknown]>([
    ['number', '8080', 8080],
    ['number', ' 8080 ', 8080],
    ['number', '-5', -5],
    ['number', '+3', 3],
    ['number', '1.25', 1.25],
    ['boolean', 'true', true],
    ['boolean', 'TRUE', true],
    ['boolean', '1', true],
    ['boolean', 'yes', true],
    ['boolean', ' On ', true],
    ['boolean', 'false', false],
    ['boolean', '0', false],
    ['boolean', 'no', false],
    ['boolean', 'off', false],
    ['list', 'a, b,,c ', ['a', 'b', 'c']],
    ['list', 'single', ['single']],
    ['list', '', []],
    ['list', '   ', []],
    ['string', ' kept as is ', ' kept as is '],
    ['other', '50mb', '50mb'],
  ])('turns %s %j into %j', (kind, raw, value) => {
    expect(coerceString(kind, raw)).toEqual(value)
  })

  it.each<[LeafKind, string]>([
    ['number', 'eighty'],
    ['number', '0x10'],
    ['number', '1e3'],
    ['number', '1_000'],
    ['number', ''],
    ['boolean', 'maybe'],
    ['boolean', '2'],
    ['boolean', ''],
  ])('returns the unfit %s %j unchanged for the schema to report', (kind, raw) => {
    expect(coerceString(kind, raw)).toBe(raw)
  })

  it('splits a list on the separator it is given', () => {
    expect(coerceString('list', 'a;b,c; d', ';')).toEqual(['a', 'b,c', 'd'])
  })
})
