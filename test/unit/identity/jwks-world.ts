/**
 * @module A real JWKS server on 127.0.0.1:0 for verifier tests: Keycloak-like realms with real
 * keys (`/realms/<name>/certs`, 404 for any other realm), custom routes for hostile answers, a
 * log of what was served, and a counting fetch that tells how many body bytes the client read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from 'jose'

export type Route = (request: IncomingMessage, response: ServerResponse) => void

export interface JwksWorld {
  base: string
  /** Paths requested, in order. */
  served: string[]
  /** Adds a realm with a fresh RS256 key (or replaces one). */
  addRealm(name: string): Promise<void>
  /** Serves `path` with `route` instead of the realm handler (a prefix ending in `*` matches more). */
  route(path: string, route: Route): void
  /** Resolves once `count` requests whose path starts with `prefix` have arrived. */
  requested(prefix: string, count: number): Promise<void>
  /** A token of `realm` signed with its key, issued by `${base}/realms/<issuerRealm>`. */
  token(realm: string, issuerRealm?: string): Promise<string>
  /** A token naming `realm` with an RS256 header and a signature no key made. */
  unsigned(realm: string): string
  close(): Promise<void>
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

export async function jwksWorld(): Promise<JwksWorld> {
  const realms = new Map<string, { privateKey: CryptoKey; publicKey: CryptoKey }>()
  const routes = new Map<string, Route>()
  const served: string[] = []
  const waiters: Array<() => void> = []

  const routeFor = (path: string): Route | undefined =>
    routes.get(path) ??
    [...routes].find(([key]) => key.endsWith('*') && path.startsWith(key.slice(0, -1)))?.[1]

  const server = createServer(async (request, response) => {
    const path = request.url ?? ''
    served.push(path)
    for (const wake of waiters.splice(0)) wake()
    const custom = routeFor(path)
    if (custom) return custom(request, response)
    const name = /^\/realms\/([^/]+)\/certs$/.exec(path)?.[1]
    const pair = name ? realms.get(decodeURIComponent(name)) : undefined
    if (!pair) return void response.writeHead(404).end()
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: `${name}-key`, alg: 'RS256', use: 'sig' }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    base,
    served,
    async addRealm(name) {
      realms.set(name, await generateKeyPair('RS256', { extractable: true }))
    },
    route(path, route) {
      routes.set(path, route)
    },
    async requested(prefix, count) {
      while (served.filter((path) => path.startsWith(prefix)).length < count)
        await new Promise<void>((resolve) => waiters.push(resolve))
    },
    async token(realm, issuerRealm = realm) {
      const pair = realms.get(realm)
      if (!pair) throw new Error(`no realm ${realm}`)
      const now = Math.floor(Date.now() / 1000)
      return new SignJWT({ preferred_username: 'alice' })
        .setProtectedHeader({ alg: 'RS256', kid: `${realm}-key` })
        .setIssuer(`${base}/realms/${issuerRealm}`)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(pair.privateKey)
    },
    unsigned(realm) {
      const now = Math.floor(Date.now() / 1000)
      const header = b64url({ alg: 'RS256', kid: 'whatever' })
      const payload = b64url({
        iss: `${base}/realms/${realm}`,
        exp: now + 300,
        preferred_username: 'mallory',
      })
      return `${header}.${payload}.${Buffer.from('not a signature').toString('base64url')}`
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** A fetch that counts the body bytes its caller actually read (pulled one chunk at a time). */
export function countingFetch(): { fetch: typeof fetch; bytesRead: () => number } {
  let read = 0
  const counting: typeof fetch = async (input, init) => {
    const response = await fetch(input, init)
    const reader = response.body?.getReader()
    if (!reader) return response
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const chunk = await reader.read()
          if (chunk.done) return controller.close()
          read += chunk.value.byteLength
          controller.enqueue(chunk.value)
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 }
    )
    return new Response(body, { status: response.status, headers: response.headers })
  }
  return { fetch: counting, bytesRead: () => read }
}
