import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildGateway, type GatewayWorld } from '../../conformance/gateway-world.ts'

const keys = new Map<string, { privateKey: CryptoKey; publicKey: CryptoKey }>()
let server: Server
let base = ''

beforeAll(async () => {
  for (const realm of ['acme', 'globex'])
    keys.set(realm, await generateKeyPair('RS256', { extractable: true }))
  server = createServer(async (request, response) => {
    const realm = /^\/realms\/([^/]+)\/protocol\/openid-connect\/certs$/.exec(request.url ?? '')?.[1]
    const pair = realm ? keys.get(realm) : undefined
    if (!pair) return void response.writeHead(404).end()
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: `${realm}-1`, alg: 'RS256' }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

function world(): GatewayWorld {
  return buildGateway(
    `[auth]\nmode = "jwt"\njwks_url = "${base}/realms/{tenant}/protocol/openid-connect/certs"\nissuer = "${base}/realms/{tenant}"\naudience = "flowgate"`
  )
}

async function token(signer: string, issuerRealm: string, claims: Record<string, unknown>, expiresIn = 300) {
  const pair = keys.get(signer)
  if (!pair) throw new Error('no realm')
  const now = Math.floor(Date.now() / 1000)
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: `${signer}-1` })
    .setIssuer(`${base}/realms/${issuerRealm}`)
    .setAudience('flowgate')
    .setIssuedAt(now)
    .setExpirationTime(now + expiresIn)
    .sign(pair.privateKey)
}

const admin = { preferred_username: 'alice', groups: ['/network-admin'] }
const operator = { preferred_username: 'oscar', groups: ['/OPERATOR'], realm_access: { roles: ['viewer'] } }

async function names(response: Response): Promise<string[]> {
  expect(response.status).toBe(200)
  return ((await response.json()) as Array<{ name: string }>).map((def) => def.name).sort()
}

describe('the gateway in JWT mode with one Keycloak realm per tenant', () => {
  it.each(['acme', 'globex'])(
    'serves a %s admin the tenant of the realm that issued the token',
    async (realm) => {
      const w = world()
      const response = await w.app.request('/api/metadata/workflow', {
        headers: { authorization: `Bearer ${await token(realm, realm, admin)}` },
      })
      expect(await names(response)).toEqual(['labelled', 'notifier', 'private'])
      expect(w.conductor.requests[0]?.headers.get('authorization')).toBeNull()
    }
  )

  it('serves an operator only the labelled definitions', async () => {
    const response = await world().app.request('/api/metadata/workflow', {
      headers: { authorization: `Bearer ${await token('acme', 'acme', operator)}` },
    })
    expect(await names(response)).toEqual(['labelled', 'notifier'])
  })

  it('correlates started workflows to the token user', async () => {
    const w = world()
    await w.app.request('/api/workflow', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await token('globex', 'globex', admin)}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'private' }),
    })
    expect(w.conductor.calls('POST', '/api/workflow')[0]?.body).toMatchObject({
      name: 'globex___private',
      correlationId: 'alice',
      taskToDomain: { '*': 'globex' },
    })
  })

  it.each<[string, () => Promise<Record<string, string>>]>([
    [
      "acme's key claiming globex's realm",
      async () => ({ authorization: `Bearer ${await token('acme', 'globex', admin)}` }),
    ],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await token('acme', 'acme', admin, -3600)}` }),
    ],
    [
      'a realm named GLOBAL',
      async () => ({ authorization: `Bearer ${await token('acme', 'GLOBAL', admin)}` }),
    ],
    [
      'a realm with bad characters',
      async () => ({ authorization: `Bearer ${await token('acme', 'ac%3Ame', admin)}` }),
    ],
    [
      'trusted headers instead of a token',
      async () => ({ 'x-tenant-id': 'acme', from: 'alice', 'x-auth-user-groups': 'network-admin' }),
    ],
  ])('answers 401 to %s without calling Conductor', async (_, headers) => {
    const w = world()
    const response = await w.app.request('/api/metadata/workflow', { headers: await headers() })
    expect(response.status).toBe(401)
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /)
    expect(w.conductor.requests).toEqual([])
  })
})
