import { describe, expect, it } from 'vitest'
import { configSchema, SECTIONS, settingMeta, settingSchema } from '../../../src/config/schema.ts'

const LEAVES = Object.entries(SECTIONS).flatMap(([section, schema]) =>
  Object.keys(schema.shape).map((key) => [section, key] as const)
)

function parseSetting(section: string, key: string, value: unknown) {
  return configSchema.safeParse({ [section]: { [key]: value } })
}

describe('configSchema', () => {
  it.each(LEAVES)('documents %s.%s', (section, key) => {
    const schema = settingSchema(section, key)
    expect(schema).toBeDefined()
    expect(schema && settingMeta.get(schema)?.description).toMatch(/\S/)
  })

  it('marks the Keycloak admin password and the exec credentials, and only them, as secret', () => {
    const secrets = LEAVES.filter(([section, key]) => {
      const schema = settingSchema(section, key)
      return schema !== undefined && settingMeta.get(schema)?.secret === true
    })
    expect(secrets).toEqual([
      ['task_proxy', 'keycloak_password'],
      ['exec', 'tokens'],
      ['exec', 'hmac_keys'],
    ])
  })

  it.each([
    ['server', 'host', '127.0.0.1'],
    ['server', 'port', 8088],
    ['server', 'body_limit', 10 * 1024 * 1024],
    ['server', 'shutdown_grace_ms', 10_000],
    ['log', 'level', 'info'],
    ['log', 'access', true],
    ['auth', 'mode', 'jwt'],
    ['auth', 'algorithms', ['RS256']],
    ['auth', 'admin_roles', ['OWNER']],
    ['auth', 'admin_groups', ['network-admin']],
    ['conductor', 'url', 'http://127.0.0.1:8080'],
    ['task_proxy', 'port', 8089],
    ['task_proxy', 'tenant_source', 'static'],
    ['exec', 'enabled', false],
    ['worker', 'base_url', 'http://camunda:8080/engine-rest'],
    ['worker', 'topics', ['topic']],
    ['worker', 'topic_separator', ','],
  ] as const)('defaults %s.%s to %j', (section, key, value) => {
    const config: Record<string, Record<string, unknown>> = configSchema.parse({})
    expect(config[section]?.[key]).toEqual(value)
  })

  it('leaves optional settings unset by default', () => {
    const config = configSchema.parse({})
    expect(config.auth.jwks_url).toBeUndefined()
    expect(config.task_proxy.keycloak_password).toBeUndefined()
    expect(config.scheduler.url).toBeUndefined()
  })

  it('refuses an unknown section', () => {
    expect(configSchema.safeParse({ sever: {} }).success).toBe(false)
  })

  it('refuses an unknown key in a section', () => {
    expect(parseSetting('server', 'prot', 1).success).toBe(false)
  })

  it.each([
    ['server', 'port', 0],
    ['server', 'port', 65_535],
    ['auth', 'jwks_url', 'https://id.example/jwks'],
    ['auth', 'clock_skew_s', 600],
    ['worker', 'sleep_seconds', 0.5],
    ['server', 'body_limit', '50mb'],
  ] as const)('accepts %s.%s = %j', (section, key, value) => {
    expect(parseSetting(section, key, value).success).toBe(true)
  })

  it.each([
    ['server', 'port', -1],
    ['server', 'port', 65_536],
    ['server', 'port', 80.5],
    ['server', 'port', '80'],
    ['server', 'host', ''],
    ['log', 'level', 'verbose'],
    ['auth', 'jwks_url', 'ftp://id.example/jwks'],
    ['auth', 'jwks_url', 'kc:8080'],
    ['auth', 'clock_skew_s', 601],
    ['auth', 'admin_roles', ['']],
    ['auth', 'admin_roles', 'OWNER'],
    ['conductor', 'timeout_ms', -1],
    ['worker', 'max_tasks', 0],
    ['server', 'body_limit', 0],
    ['server', 'body_limit', '0kb'],
    ['server', 'body_limit', 'lots'],
    ['server', 'body_limit', 1e20],
    ['exec', 'enabled', 'true'],
  ] as const)('refuses %s.%s = %j', (section, key, value) => {
    expect(parseSetting(section, key, value).success).toBe(false)
  })

  it('turns a size string into bytes', () => {
    expect(configSchema.parse({ server: { body_limit: '50mb' } }).server.body_limit).toBe(52_428_800)
  })
})

describe('settingSchema', () => {
  it.each([
    ['sever', 'port'],
    ['server', 'prot'],
    ['__proto__', 'port'],
    ['constructor', 'name'],
    ['server', 'toString'],
    ['server', '__proto__'],
  ])('knows no setting %s.%s', (section, key) => {
    expect(settingSchema(section, key)).toBeUndefined()
  })
})
