/** @module Reads the Principal's parts out of verified JWT claims, as configured. */

/** A dotted path into the claims (`realm_access.roles`). */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/** A claim as a list of trimmed, non-empty strings (a string is split on commas). */
export function claimList(claims: Record<string, unknown>, path: string): string[] {
  const value = claimAt(claims, path)
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : []
  return items
    .filter((item): item is string => typeof item === 'string')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** The first claim of `paths` that is a non-empty string. */
export function firstString(claims: Record<string, unknown>, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const value = claimAt(claims, path)
    if (typeof value === 'string' && value.trim() !== '') return value.trim()
  }
  return undefined
}

/** Keycloak group claims are paths (`/ops/admins`) unless "full path" is off: keep the last part. */
export function groupName(group: string): string {
  const parts = group.split('/').filter((part) => part !== '')
  return parts.at(-1) ?? group
}

/** Case-insensitive, trimmed membership test between two lists. */
export function intersects(values: readonly string[], wanted: readonly string[]): boolean {
  const set = new Set(wanted.map((item) => item.trim().toLowerCase()))
  return values.some((value) => set.has(value.trim().toLowerCase()))
}
