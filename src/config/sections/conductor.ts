/** @module Settings of [conductor]: the engine the gateway and the task proxy call. */
import { z } from 'zod'
import { byteSize, httpUrl, millis, setting, stringList } from '../setting.ts'

export const conductor = z.strictObject({
  url: setting(httpUrl().default('http://127.0.0.1:8080'), {
    description: 'Base URL of the Conductor server (without /api).',
  }),
  timeout_ms: setting(millis().default(30_000), {
    description: 'Deadline of an ordinary upstream call.',
  }),
  poll_timeout_ms: setting(millis().default(60_000), {
    description: 'Deadline of a task long poll.',
  }),
  system_tasks: setting(
    stringList().default([
      'SUB_WORKFLOW',
      'DECISION',
      'SWITCH',
      'DO_WHILE',
      'FORK',
      'FORK_JOIN',
      'FORK_JOIN_DYNAMIC',
      'JOIN',
      'EXCLUSIVE_JOIN',
      'WAIT',
      'TERMINATE',
      'SET_VARIABLE',
    ]),
    {
      description:
        'System task types tenants may use (SIMPLE is always allowed). Server-run types such as HTTP, INLINE, LAMBDA, JSON_JQ_TRANSFORM, KAFKA_PUBLISH, EVENT ignore task domains: allow them only if tenants may share the server.',
    }
  ),
  rewrite_limit: setting(byteSize().default(16 * 1024 ** 2), {
    description: 'Largest upstream JSON body the gateway rewrites (list of definitions, an execution).',
  }),
})
