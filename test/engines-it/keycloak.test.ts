/** @module Proves Keycloak is real: two realms, users with roles and groups, signed tokens checked with jose. */
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { createJwtVerifier, KeysUnavailableError } from '../../src/identity/jwt-verifier.ts'
import { keycloakAdmin } from '../engines/keycloak-admin.ts'
import { field } from './http.ts'

const engines = inject('engines')
const keycloak = keycloakAdmin(engines.keycloakUrl, engines.keycloakAdmin)
const CLIENT = 'flowgate'
// Suffixed: other suites share this Keycloak during the run and may create realms of their own.
const SUFFIX = Date.now().toString(36)
const ACME = `acme-${SUFFIX}`
const GLOBEX = `globex-${SUFFIX}`
const TENANTS = [ACME, GLOBEX]

describe('Keycloak', () => {
  beforeAll(async () => {
    for (const realm of TENANTS) {
      await keycloak.createRealm(realm, { enabled: true })
      await keycloak.createClient(realm, CLIENT)
      await keycloak.createRole(realm, 'OWNER')
      await keycloak.createGroup(realm, 'network-admin')
      await keycloak.createUser(realm, {
        username: 'owner',
        password: 'secret',
        realmRoles: ['OWNER'],
        groups: ['network-admin'],
      })
      await keycloak.createUser(realm, { username: 'user', password: 'secret' })
    }
  })

  it('issues tokens whose signature verifies against the realm JWKS, with roles, groups and username', async () => {
    const token = await keycloak.userToken(ACME, CLIENT, 'owner', 'secret')
    const jwks = createRemoteJWKSet(new URL(keycloak.jwksUrl(ACME)))
    const { payload } = await jwtVerify(token, jwks, { issuer: `${engines.keycloakUrl}/realms/${ACME}` })
    expect(payload.preferred_username).toBe('owner')
    expect(field(payload.realm_access, 'roles')).toContain('OWNER')
    expect(payload.groups).toEqual(['network-admin'])
  })

  it("rejects a token of one realm checked against the other realm's keys, though the username is the same", async () => {
    const token = await keycloak.userToken(GLOBEX, CLIENT, 'owner', 'secret')
    const acmeKeys = createRemoteJWKSet(new URL(keycloak.jwksUrl(ACME)))
    await expect(jwtVerify(token, acmeKeys)).rejects.toThrow()
  })

  it('gives a plain user no admin role and no group', async () => {
    const token = await keycloak.userToken(GLOBEX, CLIENT, 'user', 'secret')
    const jwks = createRemoteJWKSet(new URL(keycloak.jwksUrl(GLOBEX)))
    const { payload } = await jwtVerify(token, jwks, { issuer: keycloak.issuer(GLOBEX) })
    expect(payload.preferred_username).toBe('user')
    expect(field(payload.realm_access, 'roles')).not.toContain('OWNER')
    expect(payload.groups ?? []).toEqual([])
  })

  it("keeps verifying two real realms' tokens through a flood of unsigned tokens naming made-up realms", async () => {
    const verify = createJwtVerifier({
      jwksUrl: `${engines.keycloakUrl}/realms/{tenant}/protocol/openid-connect/certs`,
      issuer: `${engines.keycloakUrl}/realms/{tenant}`,
      algorithms: ['RS256'],
      clockSkewS: 0,
      maxIssuers: 2,
    })
    const acmeToken = await keycloak.userToken(ACME, CLIENT, 'owner', 'secret')
    await expect(verify(acmeToken)).resolves.toMatchObject({ issuerTenant: ACME })
    // RS256 header, a made-up realm as issuer, a signature no key made: Keycloak answers 404.
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const exp = Math.floor(Date.now() / 1000) + 300
    const unsigned = (realm: string) =>
      `${b64({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${b64({ iss: keycloak.issuer(realm), exp, preferred_username: 'owner' })}.${b64('sig')}`
    for (let batch = 0; batch < 50; batch++) {
      const errors = await Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          verify(unsigned(`ghost-${SUFFIX}-${batch}-${i}`)).then(
            () => undefined,
            (thrown: unknown) => thrown
          )
        )
      )
      for (const error of errors) {
        expect(error).toBeInstanceOf(Error)
        expect(error).not.toBeInstanceOf(KeysUnavailableError)
      }
    }
    await expect(verify(acmeToken)).resolves.toMatchObject({ issuerTenant: ACME })
    const globexToken = await keycloak.userToken(GLOBEX, CLIENT, 'user', 'secret')
    await expect(verify(globexToken)).resolves.toMatchObject({ issuerTenant: GLOBEX })
  })

  it('lists the realms with the admin token', async () => {
    const realms = await keycloak.adminGet('')
    const names = Array.isArray(realms) ? realms.map((realm: unknown) => field(realm, 'realm')) : []
    expect(names).toEqual(expect.arrayContaining(['master', ...TENANTS]))
  })
})
