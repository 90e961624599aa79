import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createJwtVerifier,
  type JwtVerifierOptions,
  KeysUnavailableError,
} from '../../../src/identity/jwt-verifier.ts'
import { type JwksWorld, jwksWorld } from './jwks-world.ts'

let world: JwksWorld

beforeAll(async () => {
  world = await jwksWorld()
  for (const name of ['acme', 'globex', 'initech', 'umbrella']) await world.addRealm(name)
})

afterAll(() => world.close())
afterEach(() => vi.useRealTimers())

function perRealm(overrides: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    jwksUrl: `${world.base}/realms/{tenant}/certs`,
    issuer: `${world.base}/realms/{tenant}`,
    algorithms: ['RS256'],
    clockSkewS: 0,
    ...overrides,
  })
}

const fetchesOf = (realm: string, from: number) =>
  world.served.slice(from).filter((path) => path === `/realms/${realm}/certs`).length

describe('createJwtVerifier under a flood of tokens naming made-up realms', () => {
  it("keeps verifying a proven realm's tokens, without fetching its keys again", async () => {
    const verify = perRealm({ maxIssuers: 2 })
    await verify(await world.token('acme'))
    const before = world.served.length
    for (let i = 0; i < 150; i++)
      await expect(verify(world.unsigned(`made-up-a${i}`))).rejects.toThrow('not a known realm')
    expect(world.served.length - before).toBe(150)
    await expect(verify(await world.token('acme'))).resolves.toMatchObject({ issuerTenant: 'acme' })
    expect(fetchesOf('acme', before)).toBe(0)
  })

  it('still lets in a real realm no token has named before', async () => {
    const verify = perRealm({ maxIssuers: 2 })
    for (let i = 0; i < 150; i++) await expect(verify(world.unsigned(`made-up-b${i}`))).rejects.toThrow()
    await expect(verify(await world.token('globex'))).resolves.toMatchObject({ issuerTenant: 'globex' })
  })

  it('is not displaced by proven realms beyond the bound: the least recently used goes', async () => {
    const verify = perRealm({ maxIssuers: 2 })
    for (const realm of ['acme', 'globex', 'acme', 'initech']) await verify(await world.token(realm))
    const before = world.served.length
    await verify(await world.token('acme'))
    await verify(await world.token('globex'))
    expect([fetchesOf('acme', before), fetchesOf('globex', before)]).toEqual([0, 1])
  })

  it('answers a remembered made-up realm without fetching its keys again', async () => {
    const verify = perRealm()
    const before = world.served.length
    for (let i = 0; i < 5; i++)
      await expect(verify(world.unsigned('made-up-c'))).rejects.toThrow('not a known realm')
    expect(fetchesOf('made-up-c', before)).toBe(1)
  })

  it('tells a made-up realm (the token’s fault) from keys that cannot be had', async () => {
    const error = await perRealm()(world.unsigned('made-up-d')).catch((thrown: unknown) => thrown)
    expect(error).not.toBeInstanceOf(KeysUnavailableError)
  })

  it('lets a realm in that was created after a token named it, once its back-off is over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    const verify = perRealm()
    await expect(verify(world.unsigned('late'))).rejects.toThrow('not a known realm')
    await world.addRealm('late')
    await expect(verify(await world.token('late'))).rejects.toThrow('not a known realm')
    vi.setSystemTime(Date.now() + 31_000)
    await expect(verify(await world.token('late'))).resolves.toMatchObject({ issuerTenant: 'late' })
  })

  it('does not prove a realm by a token whose signature failed, nor lose its keys', async () => {
    const verify = perRealm({ maxIssuers: 1 })
    await verify(await world.token('acme'))
    const before = world.served.length
    // Signed by globex's key but naming umbrella: umbrella's keys are fetched and do not verify it.
    await expect(verify(await world.token('globex', 'umbrella'))).rejects.toThrow()
    await expect(verify(await world.token('umbrella'))).resolves.toMatchObject({ issuerTenant: 'umbrella' })
    expect(fetchesOf('umbrella', before)).toBe(1)
  })
})

describe('createJwtVerifier while key sets of made-up realms hang', () => {
  it('keeps proven realms verifying and refuses new ones as busy, not as bad tokens', async () => {
    const held: Array<() => void> = []
    world.route('/realms/hang-*', (_, response) => held.push(() => response.writeHead(404).end()))
    const verify = perRealm({ maxNewIssuerFetches: 2 })
    await verify(await world.token('acme'))
    const hanging = [verify(world.unsigned('hang-1')), verify(world.unsigned('hang-2'))]
    await world.requested('/realms/hang-', 2)

    await expect(verify(await world.token('acme'))).resolves.toMatchObject({ issuerTenant: 'acme' })
    const busy = await verify(await world.token('initech')).catch((thrown: unknown) => thrown)
    expect(busy).toBeInstanceOf(KeysUnavailableError)
    expect((busy as KeysUnavailableError).problem).toBe('busy')

    for (const release of held) release()
    for (const pending of hanging) await expect(pending).rejects.toThrow('not a known realm')
    await expect(verify(await world.token('initech'))).resolves.toMatchObject({ issuerTenant: 'initech' })
  })
})
