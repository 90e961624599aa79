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
    description:
      'How long in-flight requests may finish after SIGTERM/SIGINT before exit. While draining, every answer says `Connection: close` and its connection is closed once it is written.',
  }),
  headers_timeout_ms: setting(millis().default(15_000), {
    description:
      "How long a client may take to send a request's headers before its connection is answered 408 and closed (at most request_timeout_ms); 0 = no limit. Node listeners only.",
  }),
  request_timeout_ms: setting(millis().default(120_000), {
    description:
      'How long a client may take to send a whole request, body included, before it is answered 408 and closed; the answer (a long poll, a streamed command) is not limited by it. 0 = no limit. Node listeners only.',
  }),
  keep_alive_timeout_ms: setting(millis().default(5_000), {
    description:
      "How long an idle kept-alive connection stays open for its next request (Node listeners; on Bun the connection idle timeout, rounded up to seconds, at most 255 s; 0 = Bun's default).",
  }),
  max_connections: setting(z.number().int().min(0).default(1024), {
    description:
      'Open connections each listener accepts at once; further connections are closed as they arrive (raise it for many polling workers). 0 = no limit. Node listeners only.',
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
