/** @module Who is calling: the one Principal shape every capability reads, whatever the identity source. */
import type { Context } from 'hono'
import type { AppEnv } from '../env.ts'

/** Who is calling, whatever the identity source (trusted headers or a verified JWT). */
export interface Principal {
  tenant: string
  user: string
  roles: string[]
  groups: string[]
  isAdmin: boolean
}

/** The principal set by identity(); a route without it is a wiring bug. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get('principal')
  if (!principal) throw new Error('identity() must run before this route')
  return principal
}
