import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ConfigError } from '../../../../src/config/sources.ts'
import { buildExecApp, type ExecTestApp } from './exec-app.ts'
import { createFixtureRoot, type FixtureRoot } from './fixture-root.ts'

const ISSUER = 'https://idp.example/realms/ops'
let fixture: FixtureRoot
let jwks: Server
let t: ExecTestApp
let sign: (
  claims: Record<string, unknown>,
  options?: { issuer?: string; expires?: string }
) => Promise<string>

beforeAll(async () => {
  fixture = createFixtureRoot()
  const { publicKey, privateKey } = await generateKeyPair('RS256')
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  jwks = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve))
  const port = (jwks.address() as AddressInfo).port
  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setSubject('alice')
      .setIssuedAt()
      .setExpirationTime(options.expires ?? '5m')
      .sign(privateKey)
  t = buildExecApp(fixture.root, {
    FLOWGATE_EXEC_AUTH: 'required',
    FLOWGATE_EXEC_JWT_SCOPE_CLAIM: 'exec_scopes',
    FLOWGATE_AUTH_JWKS_URL: `http://127.0.0.1:${port}/certs`,
    FLOWGATE_AUTH_ISSUER: ISSUER,
  })
})
afterAll(() => {
  jwks.close()
  fixture.remove()
})

const withToken = (token: string) => ({ authorization: `Bearer ${token}` })

describe("the gateway's JWTs as exec credentials", () => {
  it('runs a command listed in the scope claim (space-separated or a list)', async () => {
    expect(
      (await t.run('exit42', undefined, withToken(await sign({ exec_scopes: 'echo exit42' })))).status
    ).toBe(200)
    expect(
      (await t.run('sub/tool', undefined, withToken(await sign({ exec_scopes: ['sub/*'] })))).status
    ).toBe(200)
  })

  it('answers 403 for a command outside the claim, and when the claim is missing', async () => {
    expect((await t.run('echo', undefined, withToken(await sign({ exec_scopes: 'exit42' })))).status).toBe(
      403
    )
    expect((await t.run('echo', undefined, withToken(await sign({})))).status).toBe(403)
  })

  it('answers 401 for another issuer, an expired token or a forged signature', async () => {
    const other = await sign({ exec_scopes: '*' }, { issuer: 'https://evil.example' })
    const expired = await sign({ exec_scopes: '*' }, { expires: '-10m' })
    const good = await sign({ exec_scopes: '*' })
    const forged = `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(43)}`
    for (const token of [other, expired, forged]) {
      expect((await t.run('exit42', undefined, withToken(token))).status).toBe(401)
    }
  })

  it('names the subject, never the token, in the audit line', async () => {
    const token = await sign({ exec_scopes: '*' })
    await t.run('exit42', undefined, withToken(token))
    expect(t.audits().at(-1)).toMatchObject({ caller: 'jwt:alice', auth: 'jwt', status: 200 })
    expect(t.lines.join('\n')).not.toContain(token)
  })

  it('stops start-up when the gateway has no JWKS or issuer configured', () => {
    expect(() =>
      buildExecApp(fixture.root, {
        FLOWGATE_EXEC_AUTH: 'required',
        FLOWGATE_EXEC_JWT_SCOPE_CLAIM: 'exec_scopes',
      })
    ).toThrow(ConfigError)
  })
})
