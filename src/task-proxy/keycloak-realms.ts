/**
 * @module Lists Keycloak realms with the admin REST API: a password-grant token from the admin
 * realm, then GET /admin/realms. https://www.keycloak.org/docs-api/latest/rest-api/
 */
import { z } from 'zod'

export interface KeycloakRealmsOptions {
  url: string
  adminRealm: string
  clientId: string
  username: string
  password: string
  fetch?: typeof fetch
}

const tokenSchema = z.object({ access_token: z.string().min(1) })
const realmsSchema = z.array(z.looseObject({ realm: z.string(), enabled: z.boolean().optional() }))

/** Loads the names of the enabled realms, except the admin realm. */
export function keycloakRealms(options: KeycloakRealmsOptions): (signal: AbortSignal) => Promise<string[]> {
  const base = options.url.replace(/\/+$/, '')
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init))
  return async (signal) => {
    const tokenResponse = await doFetch(
      `${base}/realms/${encodeURIComponent(options.adminRealm)}/protocol/openid-connect/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: options.clientId,
          username: options.username,
          password: options.password,
        }),
        signal,
      }
    )
    if (!tokenResponse.ok) throw new Error(`Keycloak token request answered ${tokenResponse.status}`)
    const { access_token: token } = tokenSchema.parse(await tokenResponse.json())
    const realmsResponse = await doFetch(`${base}/admin/realms`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      signal,
    })
    if (!realmsResponse.ok) throw new Error(`Keycloak realm list answered ${realmsResponse.status}`)
    return realmsSchema
      .parse(await realmsResponse.json())
      .filter((realm) => realm.realm !== options.adminRealm && realm.enabled !== false)
      .map((realm) => realm.realm)
  }
}
