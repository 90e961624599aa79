/**
 * @module Which workflow definitions a non-admin may see and start: those whose labels match one
 * of the user's groups or roles (reference/conductor-gateway.md §b.3). Labels come from a JSON
 * description's `labels` array, or from a plain description's suffix ` - A,B`.
 */

import { intersects } from '../identity/claims.ts'
import type { Principal } from '../identity/principal.ts'

/** The labels a description carries. */
export function labelsOf(description: unknown): string[] {
  if (typeof description !== 'string') return []
  const trimmed = description.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown
      if (
        typeof parsed === 'object' &&
        parsed !== null &&
        'labels' in parsed &&
        Array.isArray(parsed.labels)
      ) {
        return parsed.labels
          .filter((label): label is string => typeof label === 'string')
          .map((l) => l.trim())
      }
      return []
    } catch {
      // not JSON after all: fall through to the suffix form
    }
  }
  // The suffix form is the text after the LAST " - " (the original took the first hyphen, which
  // broke descriptions that contain one).
  const at = trimmed.lastIndexOf(' - ')
  const suffix = at < 0 ? '' : trimmed.slice(at + 3)
  if (!/^[A-Za-z0-9_, -]+$/.test(suffix)) return []
  return suffix
    .split(',')
    .map((label) => label.replace(/\s+/g, ''))
    .filter((label) => label !== '')
}

/** Whether the principal may see a definition with this description. */
export function defVisibleTo(principal: Principal, description: unknown): boolean {
  if (principal.isAdmin) return true
  const labels = labelsOf(description)
  return labels.length > 0 && intersects(labels, [...principal.groups, ...principal.roles])
}
