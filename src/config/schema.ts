/** @module The one zod schema of flowgate's settings: types, defaults, documentation, secrets. */
import { z } from 'zod'
import { parseSize } from './size.ts'

/** What docs/CONFIG.md and `config check` say about a setting. */
export interface SettingMeta {
  description: string
  /** Redacted wherever configuration is printed or logged. */
  secret?: boolean
}

/** Metadata of every leaf setting, keyed by its schema. */
export const settingMeta = z.registry<SettingMeta>()

function setting<T extends z.ZodType>(schema: T, meta: SettingMeta): T {
  settingMeta.add(schema, meta)
  return schema
}

const port = () => z.number().int().min(0).max(65535)
const millis = () => z.number().int().min(0)
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
const stringList = () => z.array(z.string().trim().min(1))
const byteSize = () =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const bytes = parseSize(value)
    if (bytes === undefined || bytes === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'expected a size such as 1048576, "512kb" or "10mb"',
      })
      return z.NEVER
    }
    return bytes
  })

const server = z.strictObject({
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

const log = z.strictObject({
  level: setting(z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'), {
    description: 'Lowest level written; logs are JSON lines on stdout.',
  }),
  access: setting(z.boolean().default(true), {
    description: 'Write one access line per request.',
  }),
})

const auth = z.strictObject({
  mode: setting(z.enum(['headers', 'jwt', 'none']).default('jwt'), {
    description:
      'Where identity comes from: trusted headers (behind an authenticating ingress), a verified JWT, or none (loopback only).',
  }),
  jwks_url: setting(httpUrl().optional(), { description: 'JWKS of the token issuer (jwt mode).' }),
  issuer: setting(z.string().min(1).optional(), { description: 'Required `iss` of tokens.' }),
  audience: setting(z.string().min(1).optional(), { description: 'Required `aud` of tokens.' }),
  algorithms: setting(stringList().default(['RS256']), {
    description: 'Accepted JWT signature algorithms.',
  }),
  clock_skew_s: setting(z.number().int().min(0).max(600).default(30), {
    description: 'Tolerated clock difference when checking `exp` and `nbf`.',
  }),
  admin_roles: setting(stringList().default(['OWNER']), {
    description: 'Roles that make a user an admin (compared trimmed, case-insensitively).',
  }),
  admin_groups: setting(stringList().default(['network-admin']), {
    description: 'Groups that make a user an admin (compared trimmed, case-insensitively).',
  }),
})

const conductor = z.strictObject({
  url: setting(httpUrl().default('http://127.0.0.1:8080'), {
    description: 'Base URL of the Conductor server (without /api).',
  }),
  timeout_ms: setting(millis().default(30_000), {
    description: 'Deadline of an ordinary upstream call.',
  }),
  poll_timeout_ms: setting(millis().default(60_000), {
    description: 'Deadline of a task long poll.',
  }),
})

const taskProxy = z.strictObject({
  host: setting(z.string().min(1).default('127.0.0.1'), {
    description: 'Address the worker-facing task proxy binds to.',
  }),
  port: setting(port().default(8089), { description: 'Port of the worker-facing task proxy.' }),
  tenant_source: setting(z.enum(['keycloak', 'static']).default('static'), {
    description: 'Where the list of tenants to poll for comes from.',
  }),
  tenants: setting(stringList().default([]), {
    description: 'Tenants polled for when tenant_source = "static".',
  }),
  keycloak_url: setting(httpUrl().optional(), {
    description: 'Keycloak base URL whose realms are the tenants.',
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

const scheduler = z.strictObject({
  url: setting(httpUrl().optional(), {
    description: 'A schellar-compatible schedule service; schedule routes go there when set.',
  }),
})

const exec = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve the command execution API under /exec (Node-compatible runtimes).',
  }),
  root: setting(z.string().min(1).optional(), {
    description: 'Directory whose executables may be run (httpexec EXEC_ROOT).',
  }),
  follow_links: setting(z.boolean().default(false), {
    description: 'Allow the final path component to be a link (httpexec FOLLOW_LINKS).',
  }),
  config_path: setting(z.string().min(1).optional(), {
    description: 'An httpexec TOML file (ALL-CAPS keys) to read exec settings from.',
  }),
})

const worker = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Run the Camunda 7 script worker inside `flowgate serve`.',
  }),
  base_url: setting(httpUrl().default('http://camunda:8080/engine-rest'), {
    description: 'Camunda engine-rest base URL.',
  }),
  topics: setting(stringList().default(['topic']), { description: 'Topics to fetch and lock.' }),
  topic_separator: setting(z.string().min(1).default(','), {
    description: 'Separator of CAPYTHON_TOPICS.',
  }),
  worker_id: setting(z.string().min(1).optional(), {
    description: 'workerId sent to Camunda (a random id per process when unset).',
  }),
  max_tasks: setting(z.number().int().min(1).default(1), {
    description: 'Tasks fetched per poll.',
  }),
  lock_duration_ms: setting(millis().default(10_000), { description: 'Lock duration per task.' }),
  async_response_timeout_ms: setting(millis().default(5_000), {
    description: 'Long-poll timeout of fetchAndLock.',
  }),
  retries: setting(z.number().int().min(0).default(3), {
    description: 'Retries before an incident.',
  }),
  retry_timeout_ms: setting(millis().default(5_000), { description: 'Delay before a retry.' }),
  sleep_seconds: setting(z.number().min(0).default(30), {
    description: 'Pause after an engine error.',
  }),
  script_variable: setting(z.string().min(1).default('capython'), {
    description: 'Process variable holding the script (CAPYTHON_SCRIPT_ENTRYPOINT).',
  }),
  requirements: setting(stringList().default([]), {
    description: 'Python requirement files installed before the worker starts.',
  }),
  requirements_separator: setting(z.string().min(1).default(','), {
    description: 'Separator of CAPYTHON_REQUIREMENTS.',
  }),
  compat: setting(z.boolean().default(false), {
    description: 'Reproduce CaPython quirks that existing scripts depend on.',
  }),
})

const plugins = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve plugins under /plugins (Node-compatible runtimes).',
  }),
})

const editor = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve the script editor at /editor and language servers at /lsp.',
  }),
})

/** The whole configuration; every section defaults to its defaults. */
export const configSchema = z.strictObject({
  server: server.default(() => server.parse({})),
  log: log.default(() => log.parse({})),
  auth: auth.default(() => auth.parse({})),
  conductor: conductor.default(() => conductor.parse({})),
  task_proxy: taskProxy.default(() => taskProxy.parse({})),
  scheduler: scheduler.default(() => scheduler.parse({})),
  exec: exec.default(() => exec.parse({})),
  worker: worker.default(() => worker.parse({})),
  plugins: plugins.default(() => plugins.parse({})),
  editor: editor.default(() => editor.parse({})),
})

export type Config = z.output<typeof configSchema>
export type SectionName = keyof Config

/** The sections and their leaf schemas, for env mapping, docs and redaction. */
export const SECTIONS = {
  server,
  log,
  auth,
  conductor,
  task_proxy: taskProxy,
  scheduler,
  exec,
  worker,
  plugins,
  editor,
} as const satisfies Record<SectionName, z.ZodObject>

/** The leaf schema of `section.key`, if there is such a setting. */
export function settingSchema(section: string, key: string): z.ZodType | undefined {
  const shape = (SECTIONS as Record<string, z.ZodObject | undefined>)[section]?.shape
  return shape && Object.hasOwn(shape, key) ? shape[key] : undefined
}
