/** @module Settings of [task_proxy]: the workers' listener and where its tenants come from. */
import { z } from 'zod'
import { httpUrl, millis, port, setting, stringList } from '../setting.ts'

export const taskProxy = z.strictObject({
  enabled: setting(z.boolean().default(true), {
    description: 'Serve the worker-facing task proxy on its own listener (Node, Bun, Deno).',
  }),
  host: setting(z.string().min(1).default('127.0.0.1'), {
    description: 'Address the worker-facing task proxy binds to.',
  }),
  port: setting(port().default(8089), { description: 'Port of the worker-facing task proxy.' }),
  pass_through: setting(z.enum(['worker', 'all']).default('worker'), {
    description:
      'What the task proxy passes to Conductor besides polls: "worker" only the calls official workers make (task updates, logs, acks, external payload locations; docs/GATEWAY.md), "all" the whole Conductor API without identity, as the original did.',
  }),
  tenant_source: setting(z.enum(['keycloak', 'static']).default('static'), {
    description: 'Where the list of tenants to poll for comes from.',
  }),
  tenants: setting(stringList().default([]), {
    description: 'Tenants polled for when tenant_source = "static".',
  }),
  keycloak_url: setting(httpUrl().optional(), {
    description: 'Keycloak base URL whose realms are the tenants.',
  }),
  keycloak_admin_realm: setting(z.string().min(1).default('master'), {
    description: 'Realm the admin user logs in to; it is never a tenant.',
  }),
  keycloak_client_id: setting(z.string().min(1).default('admin-cli'), {
    description: 'Client used to read the realm list.',
  }),
  keycloak_username: setting(z.string().min(1).default('admin'), {
    description: 'Admin user used to read the realm list.',
  }),
  keycloak_password: setting(z.string().optional(), {
    description: 'Password of that admin user.',
    secret: true,
  }),
  refresh_ms: setting(millis().default(15_000), {
    description: 'How often the tenant list is reloaded.',
  }),
  retry_ms: setting(millis().default(5_000), {
    description: 'Delay before retrying a failed tenant list load.',
  }),
})
