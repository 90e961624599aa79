/**
 * @module Reads an httpexec configuration file (HTTPEXEC_CONFIG_PATH): TOML with ALL-CAPS keys at
 * the top level. httpexec read it lazily and failed every request when it was missing; we read it
 * at start-up and stop with the file's name instead.
 */
import { readFileSync } from 'node:fs'
import { parse as parseToml } from 'smol-toml'
import { z } from 'zod'
import { ConfigError } from '../../config/sources.ts'

const fileSchema = z.looseObject({
  EXEC_ROOT: z.string().min(1, 'must not be empty').optional(),
  FOLLOW_LINKS: z.boolean({ error: 'expected true or false' }).optional(),
  LOGGING_LEVEL: z.string().optional(),
})

export interface HttpexecFile {
  root?: string
  followLinks?: boolean
}

export function readHttpexecFile(path: string): HttpexecFile {
  const source = `exec.config_path ${path}`
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read'
    throw new ConfigError([{ source, message: `httpexec configuration file: ${reason}` }])
  }
  let parsed: unknown
  try {
    parsed = parseToml(text)
  } catch (error) {
    const first = error instanceof Error ? (error.message.split('\n')[0] ?? '') : ''
    throw new ConfigError([{ source, message: `malformed TOML: ${first}` }])
  }
  const result = fileSchema.safeParse(parsed)
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => ({ source, message: `${issue.path.join('.')}: ${issue.message}` }))
    )
  }
  const out: HttpexecFile = {}
  if (result.data.EXEC_ROOT !== undefined) out.root = result.data.EXEC_ROOT
  if (result.data.FOLLOW_LINKS !== undefined) out.followLinks = result.data.FOLLOW_LINKS
  return out
}
