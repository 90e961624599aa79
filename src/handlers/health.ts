/** @module Liveness (/healthz, never calls out) and readiness (/readyz, runs registered checks). */
import { Hono } from 'hono'
import { z } from 'zod'
import type { AppEnv } from '../env.ts'
import { AppError } from '../errors.ts'
import { type OpenApiRegistry, problemResponse } from '../ops/openapi.ts'
import type { Readiness } from '../ops/readiness.ts'

export interface HealthOptions {
  readiness: Readiness
  openapi: OpenApiRegistry
  version: string
  runtime: string
}

const healthSchema = z.object({ status: z.literal('ok'), version: z.string(), runtime: z.string() })
const readySchema = z.object({
  status: z.literal('ready'),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), ms: z.number() })),
})

export function health(options: HealthOptions): Hono<AppEnv> {
  const { readiness, openapi } = options
  const app = new Hono<AppEnv>()
  openapi.add({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    tags: ['operations'],
    responses: { 200: { description: 'Alive', schema: healthSchema } },
  })
  app.get('/healthz', (c) => {
    c.header('cache-control', 'no-store')
    return c.json({ status: 'ok' as const, version: options.version, runtime: options.runtime })
  })

  openapi.add({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: every registered check passes',
    tags: ['operations'],
    responses: {
      200: { description: 'Ready', schema: readySchema },
      503: problemResponse('A check failed; `errors` names each failing check'),
    },
  })
  app.get('/readyz', async (c) => {
    c.header('cache-control', 'no-store')
    const report = await readiness.run()
    const checks = report.checks.map(({ name, ok, ms }) => ({ name, ok, ms }))
    if (report.ready) return c.json({ status: 'ready' as const, checks })
    const failing = report.checks.filter((check) => !check.ok)
    for (const check of failing)
      c.get('logger').warn('readiness check failed', { check: check.name, error: check.error })
    throw new AppError('FG_ERR_NOT_READY', {
      detail: `Failing checks: ${failing.map((check) => check.name).join(', ')}.`,
      errors: failing.map((check) => ({ where: check.name, message: 'check failed' })),
      headers: { 'cache-control': 'no-store' },
    })
  })
  return app
}
