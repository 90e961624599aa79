/**
 * @module A two-tenant world on the real engines for gateway tests: two Keycloak realms (each with an
 * admin in group network-admin and an operator in group OPERATOR), and flowgate served over real
 * HTTP in front of the real Conductor, with identity from real Keycloak tokens.
 */
import { randomBytes } from 'node:crypto'
import { inject } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { type NodeServer, serveNode } from '../../src/runtime/node/node.ts'
import { keycloakAdmin } from '../engines/keycloak-admin.ts'

export const CLIENT = 'flowgate'
export type Role = 'admin' | 'operator'

export interface Tenant {
  name: string
  user(role: Role): string
  token(role: Role): Promise<string>
}

export interface World {
  tenants: [Tenant, Tenant]
  conductorUrl: string
  keycloakUrl: string
  gateway: NodeServer
  mode: IdentityMode
  /** Calls the gateway as a tenant's user; JSON bodies are sent as JSON. */
  call(tenant: Tenant, role: Role, method: string, path: string, body?: unknown): Promise<Response>
  /** Calls Conductor directly, to check what really happened. */
  conductor(method: string, path: string, body?: unknown): Promise<Response>
  close(): Promise<void>
}

export type IdentityMode = 'jwt' | 'headers'

export async function createWorld(
  options: {
    env?: Record<string, string>
    mode?: IdentityMode
    /** Which of the two Conductors the gateway fronts (default postgres, the one with search). */
    conductor?: 'memory' | 'postgres'
  } = {}
): Promise<World> {
  const mode = options.mode ?? 'jwt'
  const engines = inject('engines')
  const keycloak = keycloakAdmin(engines.keycloakUrl, engines.keycloakAdmin)
  const suffix = randomBytes(3).toString('hex')
  const names = [`initech${suffix}`, `umbrella${suffix}`]
  const tokens = new Map<string, string>()
  const tenants = names.map((name): Tenant => {
    const user = (role: Role) => `${role}@${name}.test`
    return {
      name,
      user,
      async token(role) {
        const key = `${name}/${role}`
        let token = tokens.get(key)
        if (!token) {
          token = await keycloak.userToken(name, CLIENT, user(role), 'secret')
          tokens.set(key, token)
        }
        return token
      },
    }
  }) as [Tenant, Tenant]
  for (const tenant of tenants) {
    await keycloak.createRealm(tenant.name, { enabled: true })
    await keycloak.createClient(tenant.name, CLIENT)
    await keycloak.createGroup(tenant.name, 'network-admin')
    await keycloak.createGroup(tenant.name, 'OPERATOR')
    await keycloak.createUser(tenant.name, {
      username: tenant.user('admin'),
      email: tenant.user('admin'),
      password: 'secret',
      groups: ['network-admin'],
    })
    await keycloak.createUser(tenant.name, {
      username: tenant.user('operator'),
      email: tenant.user('operator'),
      password: 'secret',
      groups: ['OPERATOR'],
    })
  }
  const conductorUrl =
    options.conductor === 'memory' ? engines.conductorMemoryUrl : engines.conductorPostgresUrl
  const { config } = resolveConfig({
    env: {
      FLOWGATE_SERVER_PORT: '0',
      FLOWGATE_TASK_PROXY_ENABLED: 'false',
      FLOWGATE_LOG_LEVEL: 'warn',
      FLOWGATE_AUTH_MODE: mode,
      FLOWGATE_AUTH_ISSUER: `${engines.keycloakUrl}/realms/{tenant}`,
      FLOWGATE_AUTH_JWKS_URL: `${engines.keycloakUrl}/realms/{tenant}/protocol/openid-connect/certs`,
      PROXY_TARGET: conductorUrl,
      ...options.env,
    },
  })
  const gateway = await serveNode({ config, logger: createLogger({ level: 'warn' }) })
  const send = async (url: string, method: string, body: unknown, headers: Record<string, string>) =>
    fetch(url, {
      method,
      headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    })
  return {
    mode,
    tenants,
    conductorUrl,
    keycloakUrl: engines.keycloakUrl,
    gateway,
    async call(tenant, role, method, path, body) {
      const identity: Record<string, string> =
        mode === 'jwt'
          ? { authorization: `Bearer ${await tenant.token(role)}` }
          : {
              'x-tenant-id': tenant.name,
              from: tenant.user(role),
              'x-auth-user-groups': role === 'admin' ? 'network-admin' : 'OPERATOR',
            }
      return send(`${gateway.url}${path}`, method, body, identity)
    },
    conductor: (method, path, body) => send(`${conductorUrl}${path}`, method, body, {}),
    close: () => gateway.close(),
  }
}

/** A workflow definition with one SIMPLE task, labelled for `labels` (none: admins only). */
export function simpleDef(name: string, task: string, labels: string[] = []): Record<string, unknown> {
  return {
    name,
    version: 1,
    schemaVersion: 2,
    description: labels.length > 0 ? `${name} - ${labels.join(',')}` : `${name}, for admins only`,
    tasks: [{ name: task, taskReferenceName: `${task}_ref`, type: 'SIMPLE' }],
    timeoutPolicy: 'ALERT_ONLY',
    timeoutSeconds: 0,
  }
}
