/**
 * @module The tenants the task proxy polls for: a static list, or the realms of a Keycloak server
 * (all but the admin realm, enabled ones only), reloaded on an interval and retried on failure.
 * Until the first load succeeds the registry is not ready.
 */

import type { Logger } from '../ops/logger.ts'
import { tenantProblem } from '../tenancy/naming.ts'
import { keycloakRealms } from './keycloak-realms.ts'

export interface TenantRegistry {
  /** The current tenants; throws until the first load succeeded. */
  tenants(): readonly string[]
  ready(): boolean
  stop(): void
  /**
   * Loads or refreshes the list when due, within the calling request (runtimes such as Workers
   * run no timers between requests). Absent where timers keep the list fresh.
   */
  prepare?(): Promise<void>
}

/** A fixed list (validated). */
export function staticTenants(tenants: readonly string[]): TenantRegistry {
  for (const tenant of tenants) {
    const problem = tenantProblem(tenant)
    if (problem) throw new Error(`task_proxy.tenants: "${tenant}": ${problem}`)
  }
  const list = Object.freeze([...new Set(tenants)])
  return { tenants: () => list, ready: () => true, stop: () => {} }
}

export interface RefreshingOptions {
  load: (signal: AbortSignal) => Promise<string[]>
  refreshMs: number
  retryMs: number
  timeoutMs?: number
  logger: Logger
}

/** A list loaded by `load`, reloaded every refreshMs, retried after retryMs on failure. */
export function refreshingTenants(options: RefreshingOptions): TenantRegistry {
  let current: readonly string[] | undefined
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const schedule = (ms: number) => {
    if (stopped) return
    timer = setTimeout(() => void load(), ms)
    ;(timer as { unref?: () => void }).unref?.()
  }
  const load = async () => {
    try {
      const loaded = await options.load(AbortSignal.timeout(options.timeoutMs ?? 10_000))
      const valid = loaded.filter((tenant) => {
        const problem = tenantProblem(tenant)
        if (problem) options.logger.warn('tenant skipped', { tenant, reason: problem })
        return problem === undefined
      })
      if (current === undefined || current.join(',') !== valid.join(',')) {
        options.logger.info('tenants loaded', { count: valid.length })
      }
      current = Object.freeze([...new Set(valid)].sort())
      schedule(options.refreshMs)
    } catch (error) {
      options.logger.warn('tenant list load failed; retrying', { error, retryMs: options.retryMs })
      schedule(options.retryMs)
    }
  }
  void load()
  return {
    tenants() {
      if (current === undefined) throw new Error('the tenant list has not been loaded yet')
      return current
    },
    ready: () => current !== undefined,
    stop() {
      stopped = true
      if (timer !== undefined) clearTimeout(timer)
    },
  }
}

/**
 * A list loaded on demand by the requests that need it (Cloudflare Workers): reloaded when older
 * than refreshMs, a failed load retried no sooner than retryMs later; the last good list is kept.
 */
export function lazyTenants(options: RefreshingOptions): TenantRegistry {
  let current: readonly string[] | undefined
  let loadedAt = 0
  let failedAt = 0
  let inflight: Promise<void> | undefined
  const load = async () => {
    try {
      const loaded = await options.load(AbortSignal.timeout(options.timeoutMs ?? 10_000))
      current = Object.freeze(
        [...new Set(loaded.filter((tenant) => tenantProblem(tenant) === undefined))].sort()
      )
      loadedAt = Date.now()
    } catch (error) {
      failedAt = Date.now()
      options.logger.warn('tenant list load failed', { error, retryMs: options.retryMs })
    }
  }
  return {
    tenants() {
      if (current === undefined) throw new Error('the tenant list has not been loaded yet')
      return current
    },
    ready: () => current !== undefined,
    stop: () => {},
    async prepare() {
      const now = Date.now()
      if (current !== undefined && now - loadedAt < options.refreshMs) return
      if (now - failedAt < options.retryMs) return
      inflight ??= load().finally(() => {
        inflight = undefined
      })
      await inflight
    },
  }
}

/** The registry the configuration asks for. */
export function tenantRegistryFrom(
  taskProxy: {
    tenant_source: 'keycloak' | 'static'
    tenants: readonly string[]
    keycloak_url?: string | undefined
    keycloak_admin_realm: string
    keycloak_client_id: string
    keycloak_username: string
    keycloak_password?: string | undefined
    refresh_ms: number
    retry_ms: number
  },
  logger: Logger,
  fetchImpl?: typeof fetch,
  /** Load on demand instead of on timers (Cloudflare Workers). */
  onDemand = false
): TenantRegistry {
  if (taskProxy.tenant_source === 'static') return staticTenants(taskProxy.tenants)
  if (!taskProxy.keycloak_url || taskProxy.keycloak_password === undefined) {
    throw new Error('task_proxy.tenant_source = "keycloak" needs keycloak_url and keycloak_password')
  }
  return (onDemand ? lazyTenants : refreshingTenants)({
    load: keycloakRealms({
      url: taskProxy.keycloak_url,
      adminRealm: taskProxy.keycloak_admin_realm,
      clientId: taskProxy.keycloak_client_id,
      username: taskProxy.keycloak_username,
      password: taskProxy.keycloak_password,
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    }),
    refreshMs: taskProxy.refresh_ms,
    retryMs: taskProxy.retry_ms,
    logger: logger.child({ component: 'tenant-registry' }),
  })
}
