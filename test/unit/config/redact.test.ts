import { describe, expect, it } from 'vitest'
import { REDACTED, redactConfig, redactUrl } from '../../../src/config/redact.ts'
import { resolveConfig } from '../../../src/config/resolve.ts'

describe('redactUrl', () => {
  it.each([
    ['http://user:hunter2@host:8080', 'http://user:[redacted]@host:8080'],
    ['https://user:hunter2@host/path?q=1', 'https://user:[redacted]@host/path?q=1'],
    ['https://u:hun@ter2@host/x', 'https://u:[redacted]@host/x'],
    ['https://u@corp:hunter2@host', 'https://u@corp:[redacted]@host'],
    ['postgres://app:hunter2@db:5432/flow', 'postgres://app:[redacted]@db:5432/flow'],
    ['http://u:hunter2@h h/', 'http://u:[redacted]@h h/'],
    ['HTTP://U:hunter2@HOST', 'HTTP://U:[redacted]@HOST'],
  ])('removes the password from %s', (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted)
  })

  it.each([
    'http://host:8080/path',
    'http://user@host',
    'http://u:@host',
    'http://host:8080/a@b',
    'http://host/?q=a:b@c',
    'http://host/#x:y@z',
    'kc:8080',
    'not a url at all',
    '',
  ])('leaves %j as written', (value) => {
    expect(redactUrl(value)).toBe(value)
  })
})

describe('redactConfig', () => {
  const { config } = resolveConfig({
    env: {
      KEYCLOAK_ADMIN_CLIENT_PASSWORD: 'hunter2',
      PROXY_TARGET: 'http://svc:conductor-pw@conductor:8080',
      SCHELLAR_TARGET: 'https://svc:schellar-pw@schellar',
      CAPYTHON_BASE_URL: 'http://svc:camunda-pw@camunda:8080/engine-rest',
      ADMIN_ACCESS_ROLE: 'OWNER,ADMIN',
    },
  })
  const redacted = redactConfig(config)

  it('replaces a secret setting', () => {
    expect(redacted.task_proxy?.keycloak_password).toBe(REDACTED)
  })

  it('leaves an unset secret unset', () => {
    expect(redactConfig(resolveConfig({}).config).task_proxy?.keycloak_password).toBeUndefined()
  })

  it.each([
    ['conductor', 'url', 'http://svc:[redacted]@conductor:8080'],
    ['scheduler', 'url', 'https://svc:[redacted]@schellar'],
    ['worker', 'base_url', 'http://svc:[redacted]@camunda:8080/engine-rest'],
  ])('removes the password of %s.%s', (section, key, value) => {
    expect(redacted[section]?.[key]).toBe(value)
  })

  it('contains no secret anywhere', () => {
    const text = JSON.stringify(redacted)
    for (const secret of ['hunter2', 'conductor-pw', 'schellar-pw', 'camunda-pw']) {
      expect(text).not.toContain(secret)
    }
  })

  it('keeps every other value', () => {
    expect(redacted.server).toEqual(config.server)
    expect(redacted.auth?.admin_roles).toEqual(['OWNER', 'ADMIN'])
    expect(Object.keys(redacted)).toEqual(Object.keys(config))
  })

  it('returns a copy that can be changed without touching the configuration', () => {
    const roles = redacted.auth?.admin_roles
    expect(roles).not.toBe(config.auth.admin_roles)
    expect(Object.isFrozen(redacted.server)).toBe(false)
  })
})
