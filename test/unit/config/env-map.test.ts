import { describe, expect, it } from 'vitest'
import { COMPAT_ENV, CONFIG_FILE_ENV, type CompatEnv, flowgateEnvName } from '../../../src/config/env-map.ts'
import { SECTIONS, settingSchema } from '../../../src/config/schema.ts'

function reader(name: string): NonNullable<CompatEnv['read']> {
  const read = COMPAT_ENV.find((compat) => compat.name === name)?.read
  if (!read) throw new Error(`${name} has no custom reader`)
  return read
}

describe('COMPAT_ENV', () => {
  it.each(COMPAT_ENV.map((compat) => [compat.name, compat] as const))(
    '%s feeds an existing setting',
    (_name, compat) => {
      expect(settingSchema(compat.section, compat.key)).toBeDefined()
    }
  )

  it('names each variable once', () => {
    const names = COMPAT_ENV.map((compat) => compat.name)
    expect(new Set(names).size).toBe(names.length)
  })

  it('feeds each setting from at most one variable', () => {
    const settings = COMPAT_ENV.map((compat) => `${compat.section}.${compat.key}`)
    expect(new Set(settings).size).toBe(settings.length)
  })

  it('never takes a FLOWGATE_ name, which belongs to the schema-derived variables', () => {
    expect(COMPAT_ENV.filter((compat) => compat.name.startsWith('FLOWGATE_'))).toEqual([])
  })
})

describe('compatibility readers', () => {
  it.each([
    ['kc:8080', 'http://kc:8080'],
    ['  kc:8080  ', 'http://kc:8080'],
    ['http://kc:8080', 'http://kc:8080'],
    ['https://kc', 'https://kc'],
    ['HTTPS://kc', 'HTTPS://kc'],
  ])('reads KEYCLOAK_HOST %j as %j', (raw, url) => {
    expect(reader('KEYCLOAK_HOST')(raw, {})).toBe(url)
  })

  it.each([
    ['1', true],
    ['true', true],
    [' TRUE ', true],
    ['0', false],
    ['false', false],
    ['False', false],
  ])('reads HTTPEXEC_FOLLOW_LINKS %j as %j', (raw, value) => {
    expect(reader('HTTPEXEC_FOLLOW_LINKS')(raw, {})).toBe(value)
  })

  it.each(['yes', 'no', 'on', 'off', '2', ''])(
    'leaves HTTPEXEC_FOLLOW_LINKS %j for the schema to refuse',
    (raw) => {
      expect(reader('HTTPEXEC_FOLLOW_LINKS')(raw, {})).toBe(raw)
    }
  )

  it.each([
    ['CAPYTHON_TOPICS', 'CAPYTHON_TOPIC_SEPARATOR'],
    ['CAPYTHON_REQUIREMENTS', 'CAPYTHON_REQUIREMENTS_SEPARATOR'],
  ])('splits %s on the separator %s names', (name, separator) => {
    expect(reader(name)('a|b | c||', { [separator]: '|' })).toEqual(['a', 'b', 'c'])
  })

  it.each([
    ['unset', {}],
    ['empty', { CAPYTHON_TOPIC_SEPARATOR: '' }],
  ])('splits on a comma when the separator is %s', (_what, env) => {
    expect(reader('CAPYTHON_TOPICS')('a, b,c', env)).toEqual(['a', 'b', 'c'])
  })
})

describe('flowgateEnvName', () => {
  it.each([
    ['server', 'port', 'FLOWGATE_SERVER_PORT'],
    ['task_proxy', 'keycloak_url', 'FLOWGATE_TASK_PROXY_KEYCLOAK_URL'],
    ['worker', 'async_response_timeout_ms', 'FLOWGATE_WORKER_ASYNC_RESPONSE_TIMEOUT_MS'],
  ])('names %s.%s %s', (section, key, name) => {
    expect(flowgateEnvName(section, key)).toBe(name)
  })

  it('gives every setting a name no other setting has', () => {
    const names = Object.entries(SECTIONS).flatMap(([section, schema]) =>
      Object.keys(schema.shape).map((key) => flowgateEnvName(section, key))
    )
    expect(new Set(names).size).toBe(names.length)
  })

  it('keeps FLOWGATE_CONFIG apart from every setting name', () => {
    const names = Object.entries(SECTIONS).flatMap(([section, schema]) =>
      Object.keys(schema.shape).map((key) => flowgateEnvName(section, key))
    )
    expect(CONFIG_FILE_ENV).toBe('FLOWGATE_CONFIG')
    expect(names).not.toContain(CONFIG_FILE_ENV)
  })
})
