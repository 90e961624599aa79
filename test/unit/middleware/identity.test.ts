import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import {
  KeysUnavailableError,
  type TokenVerifier,
  type VerifiedToken,
} from '../../../src/identity/jwt-verifier.ts'
import { errorHandler } from '../../../src/middleware/errors.ts'
import { type IdentityOptions, identity } from '../../../src/middleware/identity.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { problemOf } from '../app-harness.ts'

const CLAIMS = {
  tenant: 'tenant',
  user: ['preferred_username', 'email'],
  roles: 'realm_access.roles',
  groups: 'groups',
}

function appWith(overrides: Partial<IdentityOptions>): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use(
    identity({
      mode: 'headers',
      claims: CLAIMS,
      adminRoles: ['OWNER'],
      adminGroups: ['network-admin'],
      anonymousTenant: 'default',
      ...overrides,
    })
  )
  app.get('/who', (c) => c.json(c.var.principal ?? null))
  app.onError(errorHandler(createLogger({ level: 'silent' })))
  return app
}

/** A verifier that accepts only the token "good.token.sig", with the given claims. */
function fakeVerifier(
  claims: VerifiedToken['claims'],
  issuerTenant?: string
): TokenVerifier & { seen: string[] } {
  const seen: string[] = []
  const verify = async (token: string) => {
    seen.push(token)
    if (token !== 'good.token.sig') throw new Error('bad signature')
    return issuerTenant === undefined ? { claims } : { claims, issuerTenant }
  }
  return Object.assign(verify, { seen })
}

describe('identity in headers mode', () => {
  const app = appWith({})

  it.each([
    ['a network-admin group', { 'x-auth-user-groups': 'network-admin' }, true],
    [
      'the admin group with another case and spaces, among others',
      { 'x-auth-user-groups': 'ops, NETWORK-ADMIN ' },
      true,
    ],
    ['an OWNER role', { 'x-auth-user-roles': 'viewer,owner' }, true],
    ['an OPERATOR group', { 'x-auth-user-groups': 'OPERATOR' }, false],
    ['the admin group sent as a role', { 'x-auth-user-roles': 'network-admin' }, false],
    ['the admin role sent as a group', { 'x-auth-user-groups': 'OWNER' }, false],
    ['no roles or groups', {}, false],
  ])('builds the principal of a user with %s (admin: %j)', async (_, extra, isAdmin) => {
    const response = await app.request('/who', {
      headers: { 'x-tenant-id': ' acme ', from: ' alice ', ...extra },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ tenant: 'acme', user: 'alice', isAdmin })
  })

  it('splits and trims role and group lists, dropping empty items', async () => {
    const response = await app.request('/who', {
      headers: {
        'x-tenant-id': 'acme',
        from: 'a',
        'x-auth-user-roles': ' r1 ,, r2,',
        'x-auth-user-groups': 'g1, g2',
      },
    })
    expect(await response.json()).toMatchObject({ roles: ['r1', 'r2'], groups: ['g1', 'g2'] })
  })

  it.each([
    ['no x-tenant-id', { from: 'alice' }],
    ['an empty x-tenant-id', { 'x-tenant-id': '  ', from: 'alice' }],
    ['no from', { 'x-tenant-id': 'acme' }],
    ['an empty from', { 'x-tenant-id': 'acme', from: ' ' }],
  ])('answers 401 with a Bearer challenge for %s', async (_, headers) => {
    const response = await app.request('/who', { headers })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="flowgate"/)
    expect((await problemOf(response)).code).toBe('FG_ERR_AUTH_UNAUTHENTICATED')
  })

  it.each(['GLOBAL', 'global', 'a___b', 'acme:x', 'ac me', 'acme_', 'x'.repeat(65), '<script>'])(
    'answers 400 FG_ERR_AUTH_TENANT_INVALID for the tenant %j',
    async (tenant) => {
      const response = await app.request('/who', { headers: { 'x-tenant-id': tenant, from: 'alice' } })
      expect(response.status).toBe(400)
      const problem = await problemOf(response)
      expect(problem.code).toBe('FG_ERR_AUTH_TENANT_INVALID')
      expect(JSON.stringify(problem)).not.toContain('<script>')
    }
  )

  it('ignores a bearer token in headers mode', async () => {
    const response = await app.request('/who', { headers: { authorization: 'Bearer good.token.sig' } })
    expect(response.status).toBe(401)
  })
})

describe('identity in jwt mode', () => {
  const keycloakClaims = {
    preferred_username: 'alice',
    tenant: 'acme',
    realm_access: { roles: ['viewer'] },
    groups: ['/ops/network-admin'],
  }

  it('builds the principal from the configured claims, reading Keycloak group paths', async () => {
    const response = await appWith({ mode: 'jwt', verifier: fakeVerifier(keycloakClaims) }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({
      tenant: 'acme',
      user: 'alice',
      roles: ['viewer'],
      groups: ['network-admin'],
      isAdmin: true,
    })
  })

  it('takes the tenant from the issuing realm over any tenant claim', async () => {
    const verifier = fakeVerifier({ ...keycloakClaims, tenant: 'globex' }, 'acme')
    const response = await appWith({ mode: 'jwt', verifier }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(await response.json()).toMatchObject({ tenant: 'acme' })
  })

  it('accepts the bearer scheme in any case (RFC 9110 §11.1)', async () => {
    const response = await appWith({ mode: 'jwt', verifier: fakeVerifier(keycloakClaims) }).request('/who', {
      headers: { authorization: 'bearer good.token.sig' },
    })
    expect(response.status).toBe(200)
  })

  it.each([
    ['no Authorization header', undefined, undefined],
    ['a Basic credential', 'Basic YWxpY2U6c2VjcmV0', undefined],
    ['a bare token', 'good.token.sig', undefined],
    ['a token with spaces', 'Bearer good token', undefined],
    ['an invalid token', 'Bearer forged.token.sig', 'invalid_token'],
  ])('answers 401 for %s', async (_, authorization, error) => {
    const verifier = fakeVerifier(keycloakClaims)
    const headers: Record<string, string> = authorization ? { authorization } : {}
    const response = await appWith({ mode: 'jwt', verifier }).request('/who', { headers })
    expect(response.status).toBe(401)
    const challenge = response.headers.get('www-authenticate') ?? ''
    expect(challenge).toMatch(/^Bearer realm="flowgate"/)
    if (error) expect(challenge).toContain(`error="${error}"`)
    expect(JSON.stringify(await problemOf(response))).not.toContain('bad signature')
  })

  it.each([
    ['no tenant claim', { preferred_username: 'alice' }],
    ['no user claim', { tenant: 'acme', sub: 'x' }],
    ['a non-string tenant claim', { tenant: ['acme'], preferred_username: 'alice' }],
  ])('answers 401 invalid_token for a token with %s', async (_, claims) => {
    const response = await appWith({ mode: 'jwt', verifier: fakeVerifier(claims) }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toContain('invalid_token')
  })

  it('answers 400 for a token whose tenant claim is not a valid tenant id', async () => {
    const verifier = fakeVerifier({ tenant: 'GLOBAL', preferred_username: 'alice' })
    const response = await appWith({ mode: 'jwt', verifier }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(response.status).toBe(400)
  })

  it('answers 503 when no verifier is configured', async () => {
    const response = await appWith({ mode: 'jwt' }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(response.status).toBe(503)
    expect((await problemOf(response)).code).toBe('FG_ERR_AUTH_NOT_CONFIGURED')
  })

  it('answers 503 with Retry-After, not 401, when the signing keys cannot be fetched', async () => {
    const verifier: TokenVerifier = async () => {
      throw new KeysUnavailableError('too-large', 'the key set is larger than 262144 bytes')
    }
    const response = await appWith({ mode: 'jwt', verifier }).request('/who', {
      headers: { authorization: 'Bearer good.token.sig' },
    })
    expect(response.status).toBe(503)
    expect(response.headers.get('retry-after')).toBe('5')
    expect(response.headers.get('www-authenticate')).toBeNull()
    const problem = await problemOf(response)
    expect(problem.code).toBe('FG_ERR_AUTH_KEYS_UNAVAILABLE')
    expect(JSON.stringify(problem)).not.toContain('262144')
  })

  it('ignores trusted headers in jwt mode', async () => {
    const response = await appWith({ mode: 'jwt', verifier: fakeVerifier(keycloakClaims) }).request('/who', {
      headers: { 'x-tenant-id': 'globex', from: 'mallory', 'x-auth-user-groups': 'network-admin' },
    })
    expect(response.status).toBe(401)
  })
})

describe('identity in none mode', () => {
  it('makes every request the anonymous non-admin of the anonymous tenant', async () => {
    const response = await appWith({ mode: 'none' }).request('/who', {
      headers: { 'x-tenant-id': 'globex', from: 'mallory', 'x-auth-user-groups': 'network-admin' },
    })
    expect(await response.json()).toEqual({
      tenant: 'default',
      user: 'anonymous',
      roles: [],
      groups: [],
      isAdmin: false,
    })
  })

  it('refuses an invalid anonymous tenant at construction', () => {
    expect(() => appWith({ mode: 'none', anonymousTenant: 'GLOBAL' })).toThrow('anonymous tenant')
  })
})
