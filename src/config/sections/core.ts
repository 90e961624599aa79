/** @module Settings of the listener and the logs: [server], [log]. */
import { z } from 'zod'
import { byteSize, millis, port, setting } from '../setting.ts'

export const server = z.strictObject({
  host: setting(z.string().min(1).default('127.0.0.1'), {
    description: 'Address the user-facing listener binds to (0.0.0.0 for all interfaces).',
  }),
  port: setting(port().default(8088), { description: 'Port of the user-facing listener.' }),
  body_limit: setting(byteSize().default(10 * 1024 ** 2), {
    description: 'Largest request body accepted, in bytes or with a unit ("50mb").',
  }),
  shutdown_grace_ms: setting(millis().default(10_000), {
    description: 'How long in-flight requests may finish after SIGTERM/SIGINT before exit.',
  }),
})

export const log = z.strictObject({
  level: setting(z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'), {
    description: 'Lowest level written; logs are JSON lines on stdout.',
  }),
  access: setting(z.boolean().default(true), {
    description: 'Write one access line per request.',
  }),
})
