import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, exportSPKI, generateKeyPair, type JWTPayload, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createJwtVerifier, type JwtVerifierOptions } from '../../../src/identity/jwt-verifier.ts'

interface Realm {
  privateKey: CryptoKey
  publicKey: CryptoKey
  kid: string
}

const realms = new Map<string, Realm>()
const served: string[] = []
let server: Server
let base = ''

async function realm(name: string): Promise<Realm> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true })
  const entry = { privateKey, publicKey, kid: `${name}-key` }
  realms.set(name, entry)
  return entry
}

beforeAll(async () => {
  await realm('single')
  await realm('acme')
  await realm('globex')
  server = createServer(async (request, response) => {
    served.push(request.url ?? '')
    const match = /^\/realms\/([^/]+)\/certs$/.exec(request.url ?? '')
    const entry = match?.[1] ? realms.get(decodeURIComponent(match[1])) : undefined
    if (!entry) {
      response.writeHead(404).end()
      return
    }
    const jwk = { ...(await exportJWK(entry.publicKey)), kid: entry.kid, alg: 'RS256', use: 'sig' }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function single(overrides: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    jwksUrl: `${base}/realms/single/certs`,
    issuer: `${base}/realms/single`,
    audience: 'flowgate',
    algorithms: ['RS256'],
    clockSkewS: 30,
    ...overrides,
  })
}

function perRealm() {
  return createJwtVerifier({
    jwksUrl: `${base}/realms/{tenant}/certs`,
    issuer: `${base}/realms/{tenant}`,
    algorithms: ['RS256'],
    clockSkewS: 0,
  })
}

interface TokenOptions {
  signer?: string
  kid?: string
  issuer?: string
  audience?: string | undefined
  expiresIn?: number | undefined
  claims?: JWTPayload
}

async function token(options: TokenOptions = {}): Promise<string> {
  const signer = realms.get(options.signer ?? 'single')
  if (!signer) throw new Error('no such realm')
  const now = Math.floor(Date.now() / 1000)
  let jwt = new SignJWT({ preferred_username: 'alice', ...options.claims })
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? signer.kid })
    .setIssuer(options.issuer ?? `${base}/realms/single`)
    .setIssuedAt(now)
  if ('audience' in options ? options.audience !== undefined : true)
    jwt = jwt.setAudience(options.audience ?? 'flowgate')
  if ('expiresIn' in options ? options.expiresIn !== undefined : true) {
    jwt = jwt.setExpirationTime(now + (options.expiresIn ?? 300))
  }
  return jwt.sign(signer.privateKey)
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

describe('createJwtVerifier with one issuer', () => {
  it('accepts a token signed by the issuer and returns its claims', async () => {
    const { claims, issuerTenant } = await single()(await token({ claims: { tenant: 'acme' } }))
    expect(claims.preferred_username).toBe('alice')
    expect(claims.tenant).toBe('acme')
    expect(issuerTenant).toBeUndefined()
  })

  it('accepts a token expired within the clock skew', async () => {
    await expect(single()(await token({ expiresIn: -10 }))).resolves.toBeDefined()
  })

  it.each<[string, () => Promise<string>]>([
    ['an expired token', () => token({ expiresIn: -120 })],
    ['a token without exp', () => token({ expiresIn: undefined })],
    ['a token from another issuer', () => token({ issuer: `${base}/realms/other` })],
    ['a token for another audience', () => token({ audience: 'someone-else' })],
    ['a token without an audience', () => token({ audience: undefined })],
    [
      'a token forged with another key under the same kid',
      () => token({ signer: 'acme', kid: 'single-key' }),
    ],
    ['a token signed by a key the JWKS does not hold', () => token({ signer: 'acme' })],
    [
      'an unsigned alg=none token',
      async () => {
        const now = Math.floor(Date.now() / 1000)
        return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: `${base}/realms/single`, aud: 'flowgate', exp: now + 300, preferred_username: 'alice' })}.`
      },
    ],
    [
      'an HS256 token keyed with the public key',
      async () => {
        const entry = realms.get('single')
        if (!entry) throw new Error('no realm')
        const secret = new TextEncoder().encode(await exportSPKI(entry.publicKey))
        const now = Math.floor(Date.now() / 1000)
        return new SignJWT({ preferred_username: 'alice' })
          .setProtectedHeader({ alg: 'HS256', kid: entry.kid })
          .setIssuer(`${base}/realms/single`)
          .setAudience('flowgate')
          .setExpirationTime(now + 300)
          .sign(secret)
      },
    ],
    [
      'a token whose signature was swapped for another token’s',
      async () => {
        const good = await token()
        const other = await token({ claims: { preferred_username: 'mallory' } })
        const [, payload] = other.split('.')
        const [header, , signature] = good.split('.')
        return `${header}.${payload}.${signature}`
      },
    ],
    ['garbage', async () => 'not.a.jwt'],
  ])('refuses %s', async (_, make) => {
    await expect(single()(await make())).rejects.toThrow()
  })

  it('refuses an algorithm outside the allowed list even when the signature is good', async () => {
    await expect(single({ algorithms: ['ES256'] })(await token())).rejects.toThrow()
  })
})

describe('createJwtVerifier with one realm per tenant', () => {
  it('names the tenant of the realm that issued the token', async () => {
    const verified = await perRealm()(
      await token({ signer: 'acme', issuer: `${base}/realms/acme`, audience: undefined })
    )
    expect(verified.issuerTenant).toBe('acme')
  })

  it("refuses a token signed by one realm's key that claims another realm's issuer", async () => {
    const forged = await token({ signer: 'acme', kid: 'globex-key', issuer: `${base}/realms/globex` })
    await expect(perRealm()(forged)).rejects.toThrow()
  })

  it('refuses a token whose issuer is not of the configured form', async () => {
    const other = await token({ signer: 'acme', issuer: `http://evil.test/realms/acme` })
    await expect(perRealm()(other)).rejects.toThrow('token issuer is not a tenant realm')
  })

  it.each([
    ['GLOBAL', 'the reserved shared name'],
    ['a___b', 'the separator'],
    ['acme%2F..%2Fglobex', 'an encoded path'],
    ['ac%3Ame', 'an encoded colon'],
    ['%E0%A4%A', 'a broken escape'],
    ['acme_', 'a trailing underscore'],
    ['', 'nothing'],
  ])('refuses a realm named %j (%s) without fetching any key set', async (name) => {
    const before = served.length
    const bad = await token({ signer: 'acme', issuer: `${base}/realms/${name}` })
    await expect(perRealm()(bad)).rejects.toThrow()
    expect(served.slice(before)).toEqual([])
  })

  it('refuses an encoded realm name even when it decodes to a real tenant', async () => {
    const bad = await token({ signer: 'acme', issuer: `${base}/realms/%61cme` })
    await expect(perRealm()(bad)).rejects.toThrow()
  })

  it('fetches the key set of the named realm only', async () => {
    const before = served.length
    await perRealm()(await token({ signer: 'globex', issuer: `${base}/realms/globex` }))
    expect(served.slice(before)).toEqual(['/realms/globex/certs'])
  })

  it('refuses to be configured with {tenant} in only one of issuer and JWKS URL', () => {
    expect(() =>
      createJwtVerifier({
        jwksUrl: `${base}/certs`,
        issuer: `${base}/realms/{tenant}`,
        algorithms: ['RS256'],
        clockSkewS: 0,
      })
    ).toThrow('{tenant}')
  })
})
