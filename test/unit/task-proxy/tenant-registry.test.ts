import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../src/ops/logger.ts'
import { keycloakRealms } from '../../../src/task-proxy/keycloak-realms.ts'
import {
  lazyTenants,
  refreshingTenants,
  staticTenants,
  tenantRegistryFrom,
} from '../../../src/task-proxy/tenant-registry.ts'

const logger = createLogger({ level: 'silent' })
const waitFor = async (check: () => boolean, ms = 2_000) => {
  const deadline = Date.now() + ms
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('staticTenants', () => {
  it('serves the configured list, deduplicated, ready at once', () => {
    const registry = staticTenants(['acme', 'globex', 'acme'])
    expect(registry.ready()).toBe(true)
    expect(registry.tenants()).toEqual(['acme', 'globex'])
  })

  it.each(['GLOBAL', 'a___b', 'a:b', '', 'white space'])('refuses the tenant id %j at start-up', (bad) => {
    expect(() => staticTenants(['acme', bad])).toThrow(/task_proxy.tenants/)
  })
})

describe('refreshingTenants', () => {
  it('is not ready, and throws, until the first load succeeds; then retries failures', async () => {
    let calls = 0
    const registry = refreshingTenants({
      load: async () => {
        calls++
        if (calls < 3) throw new Error('keycloak down')
        return ['globex', 'acme']
      },
      refreshMs: 60_000,
      retryMs: 10,
      logger,
    })
    expect(registry.ready()).toBe(false)
    expect(() => registry.tenants()).toThrow(/not been loaded/)
    await waitFor(() => registry.ready())
    expect(registry.tenants()).toEqual(['acme', 'globex'])
    expect(calls).toBe(3)
    registry.stop()
  })

  it('keeps the last good list when a later refresh fails, and drops invalid tenant ids', async () => {
    let calls = 0
    const registry = refreshingTenants({
      load: async () => {
        calls++
        if (calls === 1) return ['acme', 'bad___id', 'GLOBAL']
        throw new Error('temporarily down')
      },
      refreshMs: 5,
      retryMs: 5,
      logger,
    })
    await waitFor(() => calls >= 4)
    expect(registry.tenants()).toEqual(['acme'])
    registry.stop()
    const settled = calls
    await new Promise((resolve) => setTimeout(resolve, 40))
    expect(calls).toBe(settled)
  })
})

describe('keycloakRealms', () => {
  it('logs in to the admin realm and lists enabled realms except it', async () => {
    const seen: string[] = []
    const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input)
      seen.push(`${init?.method ?? 'GET'} ${url}`)
      if (url.endsWith('/realms/master/protocol/openid-connect/token')) {
        const form = new URLSearchParams(String(init?.body))
        expect(form.get('grant_type')).toBe('password')
        expect(form.get('password')).toBe('s3cret')
        return Response.json({ access_token: 'tok' })
      }
      expect(new Headers(init?.headers).get('authorization')).toBe('Bearer tok')
      return Response.json([
        { realm: 'master' },
        { realm: 'acme', enabled: true },
        { realm: 'off', enabled: false },
        { realm: 'globex' },
      ])
    }) as typeof fetch
    const load = keycloakRealms({
      url: 'http://kc:8180/',
      adminRealm: 'master',
      clientId: 'admin-cli',
      username: 'admin',
      password: 's3cret',
      fetch: fakeFetch,
    })
    expect(await load(AbortSignal.timeout(1_000))).toEqual(['acme', 'globex'])
    expect(seen).toEqual([
      'POST http://kc:8180/realms/master/protocol/openid-connect/token',
      'GET http://kc:8180/admin/realms',
    ])
  })

  it('fails on a refused login or a malformed realm list', async () => {
    const refused = (async () => new Response('no', { status: 401 })) as typeof fetch
    const options = { url: 'http://kc', adminRealm: 'master', clientId: 'c', username: 'u', password: 'p' }
    await expect(keycloakRealms({ ...options, fetch: refused })(AbortSignal.timeout(1_000))).rejects.toThrow(
      /401/
    )
    const malformed = (async (input: RequestInfo | URL) =>
      String(input).includes('/token')
        ? Response.json({ access_token: 't' })
        : Response.json({ realms: 'x' })) as typeof fetch
    await expect(
      keycloakRealms({ ...options, fetch: malformed })(AbortSignal.timeout(1_000))
    ).rejects.toThrow()
  })
})

describe('tenantRegistryFrom', () => {
  const base = {
    tenants: ['acme'],
    keycloak_admin_realm: 'master',
    keycloak_client_id: 'admin-cli',
    keycloak_username: 'admin',
    refresh_ms: 1_000,
    retry_ms: 1_000,
  }
  it('builds a static registry', () => {
    expect(tenantRegistryFrom({ ...base, tenant_source: 'static' }, logger).tenants()).toEqual(['acme'])
  })
  it('refuses a keycloak source without URL and password', () => {
    expect(() => tenantRegistryFrom({ ...base, tenant_source: 'keycloak' }, logger)).toThrow(/keycloak_url/)
  })
})

describe('lazyTenants (Workers: no timers between requests)', () => {
  it('loads on the first prepare, reuses the list until it is stale, and keeps it when a reload fails', async () => {
    let calls = 0
    let fail = false
    const registry = lazyTenants({
      load: async () => {
        calls++
        if (fail) throw new Error('down')
        return ['globex', 'acme', 'bad___x']
      },
      refreshMs: 30,
      retryMs: 30,
      logger,
    })
    expect(registry.ready()).toBe(false)
    await registry.prepare?.()
    expect(registry.tenants()).toEqual(['acme', 'globex'])
    await registry.prepare?.()
    expect(calls).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 40))
    fail = true
    await registry.prepare?.()
    expect(calls).toBe(2)
    expect(registry.tenants()).toEqual(['acme', 'globex'])
    await registry.prepare?.()
    expect(calls).toBe(2)
  })

  it('shares one load between requests that arrive together', async () => {
    let calls = 0
    const registry = lazyTenants({
      load: async () => {
        calls++
        await new Promise((resolve) => setTimeout(resolve, 10))
        return ['acme']
      },
      refreshMs: 60_000,
      retryMs: 1_000,
      logger,
    })
    await Promise.all([registry.prepare?.(), registry.prepare?.(), registry.prepare?.()])
    expect(calls).toBe(1)
  })
})
