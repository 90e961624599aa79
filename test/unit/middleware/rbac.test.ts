import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { AppEnv } from '../../../src/env.ts'
import type { Principal } from '../../../src/identity/principal.ts'
import { principalOf } from '../../../src/identity/principal.ts'
import { errorHandler } from '../../../src/middleware/errors.ts'
import { forbidden, requireAdmin } from '../../../src/middleware/rbac.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { problemOf } from '../app-harness.ts'

function appWith(principal: Principal | undefined, denyStatus: 403 | 427): Hono<AppEnv> {
  const app = new Hono<AppEnv>()
  app.use(async (c, next) => {
    if (principal) c.set('principal', principal)
    await next()
  })
  app.get('/admin', requireAdmin({ denyStatus }), (c) => c.text(`hello ${principalOf(c).user}`))
  app.onError(errorHandler(createLogger({ level: 'silent' })))
  return app
}

const who = (isAdmin: boolean): Principal => ({ tenant: 'acme', user: 'u', roles: [], groups: [], isAdmin })

describe('requireAdmin', () => {
  it('lets an admin through', async () => {
    const response = await appWith(who(true), 403).request('/admin')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('hello u')
  })

  it.each([403, 427] as const)(
    'answers a non-admin with the configured %i and FG_ERR_RBAC_FORBIDDEN',
    async (status) => {
      const response = await appWith(who(false), status).request('/admin')
      expect(response.status).toBe(status)
      const problem = await problemOf(response)
      expect(problem).toMatchObject({ code: 'FG_ERR_RBAC_FORBIDDEN', status })
    }
  )

  it('fails loudly (500) when identity() did not run', async () => {
    const response = await appWith(undefined, 403).request('/admin')
    expect(response.status).toBe(500)
  })
})

describe('forbidden', () => {
  it('carries the deny status and the detail', () => {
    const error = forbidden(427, 'nope')
    expect(error.status).toBe(427)
    expect(error.detail).toBe('nope')
    expect(error.code).toBe('FG_ERR_RBAC_FORBIDDEN')
  })
})
