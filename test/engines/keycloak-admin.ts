/**
 * @module Keycloak admin REST helpers over plain fetch, for setting up realms, clients, roles,
 * groups and users in tests, and for getting real tokens with the password grant.
 */

export interface KeycloakCredentials {
  username: string
  password: string
}

export interface NewUser {
  username: string
  password: string
  email?: string
  realmRoles?: string[]
  /** Group names (top-level groups created with `createGroup`). */
  groups?: string[]
}

export interface KeycloakAdmin {
  /** A fresh access token of the bootstrap admin (master realm, `admin-cli`). */
  adminToken(): Promise<string>
  createRealm(name: string, options?: { enabled?: boolean }): Promise<void>
  /** A public client with direct access grants whose tokens carry `groups` (short names). */
  createClient(realm: string, clientId: string): Promise<void>
  createRole(realm: string, name: string): Promise<void>
  /** Returns the new group's id. */
  createGroup(realm: string, name: string): Promise<string>
  /** Returns the new user's id. */
  createUser(realm: string, user: NewUser): Promise<string>
  /** An access token for the user, from the password grant of `clientId`. */
  userToken(realm: string, clientId: string, username: string, password: string): Promise<string>
  /** `${url}/realms/${realm}`: the `iss` of the realm's tokens. */
  issuer(realm: string): string
  /** The realm's JWKS endpoint. */
  jwksUrl(realm: string): string
  /** GET on the admin API (`/admin/realms...`), parsed as JSON. */
  adminGet(path: string): Promise<unknown>
}

const TIMEOUT_MS = 30_000

export function keycloakAdmin(url: string, admin: KeycloakCredentials): KeycloakAdmin {
  const issuer = (realm: string): string => `${url}/realms/${encodeURIComponent(realm)}`

  async function passwordGrant(
    realm: string,
    clientId: string,
    username: string,
    password: string
  ): Promise<string> {
    const response = await fetch(`${issuer(realm)}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: clientId, username, password }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    const body = await response.text()
    if (!response.ok) throw new Error(`token for ${username} in realm ${realm}: ${response.status} ${body}`)
    const token: unknown = JSON.parse(body)
    if (
      typeof token !== 'object' ||
      token === null ||
      !('access_token' in token) ||
      typeof token.access_token !== 'string'
    ) {
      throw new Error(`token for ${username} in realm ${realm}: no access_token in ${body}`)
    }
    return token.access_token
  }

  // The master admin token lives 60 s by default; a new one per call keeps long test runs simple.
  const adminToken = (): Promise<string> =>
    passwordGrant('master', 'admin-cli', admin.username, admin.password)

  async function call(method: string, path: string, body?: unknown): Promise<Response> {
    const response = await fetch(`${url}/admin/realms${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await adminToken()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    })
    if (!response.ok)
      throw new Error(`Keycloak ${method} /admin/realms${path}: ${response.status} ${await response.text()}`)
    return response
  }

  async function getJson(path: string): Promise<unknown> {
    return (await call('GET', path)).json()
  }

  /** The id of a created resource is the last segment of the Location header. */
  function createdId(response: Response): string {
    const location = response.headers.get('location') ?? ''
    const id = location.slice(location.lastIndexOf('/') + 1)
    if (!id) throw new Error(`Keycloak answered ${response.status} without a Location header`)
    return id
  }

  async function realmRole(realm: string, name: string): Promise<unknown> {
    return getJson(`/${encodeURIComponent(realm)}/roles/${encodeURIComponent(name)}`)
  }

  async function groupId(realm: string, name: string): Promise<string> {
    const groups = await getJson(
      `/${encodeURIComponent(realm)}/groups?exact=true&search=${encodeURIComponent(name)}`
    )
    const found = Array.isArray(groups)
      ? groups.find(
          (group: unknown) =>
            typeof group === 'object' && group !== null && 'name' in group && group.name === name
        )
      : undefined
    if (!found || typeof found.id !== 'string') throw new Error(`group ${name} not found in realm ${realm}`)
    return found.id
  }

  return {
    adminToken,
    issuer,
    jwksUrl: (realm) => `${issuer(realm)}/protocol/openid-connect/certs`,
    adminGet: getJson,
    async createRealm(name, options = {}) {
      await call('POST', '', { realm: name, enabled: options.enabled ?? true })
    },
    async createClient(realm, clientId) {
      await call('POST', `/${encodeURIComponent(realm)}/clients`, {
        clientId,
        publicClient: true,
        directAccessGrantsEnabled: true,
        standardFlowEnabled: false,
        protocolMappers: [
          {
            name: 'groups',
            protocol: 'openid-connect',
            protocolMapper: 'oidc-group-membership-mapper',
            // Short names (`network-admin`, not `/network-admin`), as the gateway's group rules expect.
            config: {
              'claim.name': 'groups',
              'full.path': 'false',
              'access.token.claim': 'true',
              'id.token.claim': 'true',
              'userinfo.token.claim': 'true',
            },
          },
        ],
      })
    },
    async createRole(realm, name) {
      await call('POST', `/${encodeURIComponent(realm)}/roles`, { name })
    },
    async createGroup(realm, name) {
      return createdId(await call('POST', `/${encodeURIComponent(realm)}/groups`, { name }))
    },
    async createUser(realm, user) {
      const base = `/${encodeURIComponent(realm)}/users`
      // Keycloak's user profile requires names and e-mail; without them the password grant
      // answers "Account is not fully set up".
      const id = createdId(
        await call('POST', base, {
          username: user.username,
          email: user.email ?? `${user.username}@example.test`,
          emailVerified: true,
          firstName: user.username,
          lastName: 'Test',
          enabled: true,
          requiredActions: [],
          credentials: [{ type: 'password', value: user.password, temporary: false }],
        })
      )
      const roles = await Promise.all((user.realmRoles ?? []).map((role) => realmRole(realm, role)))
      if (roles.length > 0) await call('POST', `${base}/${id}/role-mappings/realm`, roles)
      for (const group of user.groups ?? []) {
        await call('PUT', `${base}/${id}/groups/${await groupId(realm, group)}`)
      }
      return id
    },
    userToken: passwordGrant,
  }
}
