/** @module The building blocks of the settings schema: setting metadata and common value types. */
import { z } from 'zod'
import { parseSize } from './size.ts'

/** What docs/CONFIG.md and `config check` say about a setting. */
export interface SettingMeta {
  description: string
  /** Redacted wherever configuration is printed or logged. */
  secret?: boolean
}

/** Metadata of every leaf setting, keyed by its schema. */
export const settingMeta = z.registry<SettingMeta>()

export function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settingMeta.add(schema, meta)
  return schema
}

export const port = () => z.number().int().min(0).max(65535)
export const millis = () => z.number().int().min(0)
export const httpUrl = () => z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
/** An http(s) URL that may hold a `{tenant}` placeholder. */
export const templatedUrl = () =>
  z.string().refine((value) => {
    try {
      return /^https?:$/.test(new URL(value.replaceAll('{tenant}', 'tenant')).protocol)
    } catch {
      return false
    }
  }, 'expected an http:// or https:// URL (it may contain {tenant})')
export const stringList = () => z.array(z.string().trim().min(1))
export const byteSize = () =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = parseSize(value)
    if (bytes === undefined || bytes === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a size such as 1048576, "512kb" or "10mb"',
      })
      return z.NEVER
    }
    return bytes
  })
