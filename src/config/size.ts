/** @module Parses human byte sizes ("512kb", "10mb", 1048576) for size settings. */

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1024,
  k: 1024,
  mb: 1024 ** 2,
  m: 1024 ** 2,
  gb: 1024 ** 3,
  g: 1024 ** 3,
}

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i

/**
 * Returns the number of bytes a size names, or undefined when it is not a size.
 * Units are binary (1kb = 1024 bytes), as in the body-parser setting the original used.
 * @example parseSize('50mb') // 52428800
 */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined
  const match = SIZE_PATTERN.exec(value)
  if (!match) return undefined
  const factor = UNITS[(match[2] ?? '').toLowerCase()]
  if (factor === undefined) return undefined
  const bytes = Math.floor(Number(match[1]) * factor)
  return Number.isSafeInteger(bytes) ? bytes : undefined
}
