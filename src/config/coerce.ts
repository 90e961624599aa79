/** @module Turns the strings of environment variables and flags into values the schema checks. */
import type { z } from 'zod'

export type LeafKind = 'string' | 'number' | 'boolean' | 'list' | 'other'

interface DefLike {
  type: string
  innerType?: z.ZodType
  in?: z.ZodType
}

/** What kind of value a leaf setting takes, looking through defaults, optionals and pipes. */
export function leafKind(schema: z.ZodType): LeafKind {
  let def = schema._zod.def as unknown as DefLike
  for (;;) {
    if ((def.type === 'default' || def.type === 'optional') && def.innerType) {
      def = def.innerType._zod.def as unknown as DefLike
    } else if (def.type === 'pipe' && def.in) {
      def = def.in._zod.def as unknown as DefLike
    } else break
  }
  switch (def.type) {
    case 'string':
    case 'enum':
      return 'string'
    case 'number':
      return 'number'
    case 'boolean':
      return 'boolean'
    case 'array':
      return 'list'
    default:
      return 'other'
  }
}

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])
const NUMBER = /^[+-]?\d+(\.\d+)?$/

/**
 * Coerces a raw string for a leaf of the given kind. A string that does not fit is returned
 * unchanged, so the schema reports it with the source that supplied it.
 */
export function coerceString(kind: LeafKind, raw: string, separator = ','): unknown {
  const value = raw.trim()
  switch (kind) {
    case 'number':
      return NUMBER.test(value) ? Number(value) : raw
    case 'boolean': {
      const lower = value.toLowerCase()
      if (TRUE.has(lower)) return true
      if (FALSE.has(lower)) return false
      return raw
    }
    case 'list':
      return value === ''
        ? []
        : value
            .split(separator)
            .map((part) => part.trim())
            .filter((part) => part !== '')
    default:
      return raw
  }
}
