import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createJwtVerifier,
  type JwtVerifierOptions,
  KeysUnavailableError,
} from '../../../src/identity/jwt-verifier.ts'
import { countingFetch, type JwksWorld, jwksWorld } from './jwks-world.ts'

const CAP = 64 * 1024
let world: JwksWorld
let other: JwksWorld

beforeAll(async () => {
  world = await jwksWorld()
  other = await jwksWorld()
  await world.addRealm('acme')
  await other.addRealm('acme')
})

afterAll(async () => {
  await world.close()
  await other.close()
})

/** One issuer whose JWKS is `path` on the test server. */
function verifierAt(path: string, overrides: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    jwksUrl: `${world.base}${path}`,
    issuer: `${world.base}/realms/acme`,
    algorithms: ['RS256'],
    clockSkewS: 0,
    jwksMaxBytes: CAP,
    jwksTimeoutMs: 60_000,
    ...overrides,
  })
}

async function problemOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown
  )
  expect(error).toBeInstanceOf(KeysUnavailableError)
  return (error as KeysUnavailableError).problem
}

const key = (i: number) => ({ kty: 'oct', kid: `k${i}`, k: 'A'.repeat(40) })

/** Writes `{"keys":[` and then a key every few milliseconds, forever, until the client hangs up. */
function endless(response: ServerResponse): void {
  response.writeHead(200, { 'content-type': 'application/json' })
  response.write('{"keys":[')
  let i = 0
  const timer = setInterval(() => response.write(`${JSON.stringify(key(i++))},`.repeat(50)), 2)
  response.on('close', () => clearInterval(timer))
}

describe('the JWKS fetch of createJwtVerifier', () => {
  it('verifies against a key set within the caps', async () => {
    await expect(verifierAt('/realms/acme/certs')(await world.token('acme'))).resolves.toBeDefined()
  })

  it('stops reading a key set announced larger than the cap before reading it', async () => {
    const body = JSON.stringify({ keys: Array.from({ length: 30_000 }, (_, i) => key(i)) })
    world.route('/big', (_, response) =>
      response
        .writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
        .end(body)
    )
    const counted = countingFetch()
    const verify = verifierAt('/big', { fetch: counted.fetch })
    expect(await problemOf(verify(await world.token('acme')))).toBe('too-large')
    expect(counted.bytesRead()).toBe(0)
  })

  it('cuts an endless key set streamed without a length at the cap and hangs up', async () => {
    const closed: Array<Promise<unknown>> = []
    world.route('/endless', (_, response) => {
      closed.push(once(response, 'close'))
      endless(response)
    })
    const counted = countingFetch()
    const verify = verifierAt('/endless', { fetch: counted.fetch })
    expect(await problemOf(verify(await world.token('acme')))).toBe('too-large')
    await Promise.all(closed)
    // Read up to the chunk that went past the cap and not one more; a chunk is one socket read
    // (at most 64 KiB in Node), however far the server got.
    expect(counted.bytesRead()).toBeGreaterThan(CAP)
    expect(counted.bytesRead()).toBeLessThanOrEqual(CAP + 64 * 1024)
  })

  it('refuses a key set with more keys than allowed', async () => {
    world.route('/many', (_, response) =>
      response.writeHead(200).end(JSON.stringify({ keys: Array.from({ length: 11 }, (_, i) => key(i)) }))
    )
    expect(await problemOf(verifierAt('/many', { jwksMaxKeys: 10 })(await world.token('acme')))).toBe(
      'too-many-keys'
    )
  })

  it.each([
    ['not JSON', '<html>oops</html>'],
    ['JSON without keys', '{"key":[]}'],
  ])('refuses a key set that is %s', async (_, body) => {
    const path = `/bad-${body.length}`
    world.route(path, (_request, response) => response.writeHead(200).end(body))
    expect(await problemOf(verifierAt(path)(await world.token('acme')))).toBe('invalid')
  })

  it('gives up on a JWKS host that never answers, at the deadline', async () => {
    world.route('/silent', () => undefined)
    expect(await problemOf(verifierAt('/silent', { jwksTimeoutMs: 200 })(await world.token('acme')))).toBe(
      'timeout'
    )
  })

  it('gives up on a JWKS host that stops sending halfway, at the deadline', async () => {
    world.route('/stalled', (_, response) => response.writeHead(200).write('{"keys":['))
    expect(await problemOf(verifierAt('/stalled', { jwksTimeoutMs: 200 })(await world.token('acme')))).toBe(
      'timeout'
    )
  })

  it('does not follow a redirect to another host', async () => {
    world.route('/moved', (_, response) =>
      response.writeHead(302, { location: `${other.base}/realms/acme/certs` }).end()
    )
    const before = other.served.length
    expect(await problemOf(verifierAt('/moved')(await other.token('acme', 'acme')))).toBe('redirect')
    expect(other.served.length).toBe(before)
  })

  it('answers keys unavailable when the JWKS host is down', async () => {
    const gone = await jwksWorld()
    await gone.close()
    const verify = verifierAt('/x', { jwksUrl: `${gone.base}/certs` })
    expect(await problemOf(verify(await world.token('acme')))).toBe('unreachable')
  })

  it('answers keys unavailable, not a bad token, for a 404 when there is one issuer', async () => {
    expect(await problemOf(verifierAt('/nowhere')(await world.token('acme')))).toBe('not-found')
  })

  it('warns once per kind of trouble, until a fetch succeeds again', async () => {
    world.route('/realms/huge-*', (_, response) => endless(response))
    const warnings: Array<Record<string, unknown>> = []
    const verify = createJwtVerifier({
      jwksUrl: `${world.base}/realms/{tenant}/certs`,
      issuer: `${world.base}/realms/{tenant}`,
      algorithms: ['RS256'],
      clockSkewS: 0,
      jwksMaxBytes: CAP,
      onWarning: (_, fields) => warnings.push(fields),
    })
    for (const realm of ['huge-1', 'huge-2', 'made-up'])
      await verify(world.unsigned(realm)).catch(() => undefined)
    await verify(await world.token('acme'))
    await verify(world.unsigned('huge-3')).catch(() => undefined)
    expect(warnings).toEqual([
      { realm: 'huge-1', problem: 'too-large' },
      { realm: 'huge-3', problem: 'too-large' },
    ])
  })
})
