/**
 * @module Tenant naming rules: tenant `T`'s objects live in Conductor as `T___name`; `GLOBAL___name`
 * task types are shared (read-only for tenants). See reference/conductor-gateway.md §b.2.
 */
import { AppError } from '../errors.ts'

export const SEPARATOR = '___'
export const GLOBAL_PREFIX = `GLOBAL${SEPARATOR}`

const TENANT = /^[A-Za-z0-9_-]{1,64}$/
/** Names the gateway creates: no separator, no `:` (Conductor's queue-domain separator), no spaces. */
const NAME = /^[A-Za-z0-9_.-]{1,200}$/

/** Why a tenant id is refused, or undefined when it is valid. */
export function tenantProblem(tenant: string): string | undefined {
  if (!TENANT.test(tenant)) return 'a tenant id is 1-64 characters of A-Z a-z 0-9 _ -'
  if (tenant.includes(SEPARATOR)) return `a tenant id must not contain "${SEPARATOR}"`
  // `acme_` would own `acme____x`, which also reads as tenant `acme`'s `_x` (and `GLOBAL_` as a
  // shared `GLOBAL___` name): a trailing underscore makes prefixes ambiguous across tenants.
  if (tenant.endsWith('_')) return 'a tenant id must not end with "_"'
  if (tenant.toUpperCase() === 'GLOBAL') return '"GLOBAL" is reserved for shared task types'
  return undefined
}

export function isGlobalName(name: string): boolean {
  return name.startsWith(GLOBAL_PREFIX) && name.length > GLOBAL_PREFIX.length
}

/** Checks a client-supplied name; throws FG_ERR_GATEWAY_NAME_INVALID naming the field. */
export function assertName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !NAME.test(name) || name.includes(SEPARATOR)) {
    throw new AppError('FG_ERR_GATEWAY_NAME_INVALID', {
      errors: [{ where, message: `must be 1-200 characters of A-Z a-z 0-9 _ . - without "${SEPARATOR}"` }],
    })
  }
  return name
}

/**
 * `name` → `T___name`. With `allowGlobal`, a `GLOBAL___x` task name is kept as it is (tenants
 * may use shared task types but not define them).
 * @example prefix('acme', 'charge', 'tasks[0].name') // 'acme___charge'
 */
export function prefix(tenant: string, name: unknown, where: string, allowGlobal = false): string {
  if (allowGlobal && typeof name === 'string' && isGlobalName(name)) {
    assertName(name.slice(GLOBAL_PREFIX.length), where)
    return name
  }
  return `${tenant}${SEPARATOR}${assertName(name, where)}`
}

/**
 * `T___name` → `name`; a shared `GLOBAL___x` stays as it is when `allowGlobal`; anything else
 * (another tenant's name) → undefined, so callers can hide it.
 */
export function strip(tenant: string, name: unknown, allowGlobal = false): string | undefined {
  if (typeof name !== 'string') return undefined
  const own = `${tenant}${SEPARATOR}`
  if (name.startsWith(own) && name.length > own.length) return name.slice(own.length)
  if (allowGlobal && isGlobalName(name)) return name
  return undefined
}

/** Whether a Conductor name belongs to the tenant. */
export function owns(tenant: string, name: unknown): boolean {
  return (
    typeof name === 'string' && name.startsWith(`${tenant}${SEPARATOR}`) && name.length > tenant.length + 3
  )
}
