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
/** An http(s) URL that may hold a `{tenant}` placeholder. */
const templatedUrl = () =>
  z.string().refine((value) => {
    try {
      return /^https?:$/.test(new URL(value.replaceAll('{tenant}', 'tenant')).protocol)
    } catch {
      return false
    }
  }, 'expected an http:// or https:// URL (it may contain {tenant})')
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
  jwks_url: setting(templatedUrl().optional(), {
    description:
      'JWKS of the token issuer (jwt mode). May contain {tenant}, e.g. http://kc:8180/realms/{tenant}/protocol/openid-connect/certs, for one Keycloak realm per tenant.',
  }),
  issuer: setting(z.string().min(1).optional(), {
    description:
      'Required `iss` of tokens (jwt mode). With {tenant} (http://kc:8180/realms/{tenant}) the tenant is the realm the token was issued by.',
  }),
  audience: setting(z.string().min(1).optional(), { description: 'Required `aud` of tokens.' }),
  claim_tenant: setting(z.string().default(''), {
    description: 'Claim holding the tenant when the issuer has no {tenant} (dotted path, e.g. "tenant").',
  }),
  claim_user: setting(stringList().default(['preferred_username', 'email', 'sub']), {
    description: 'Claims tried in order for the user id.',
  }),
  claim_roles: setting(z.string().min(1).default('realm_access.roles'), {
    description: 'Claim (dotted path) holding the role list.',
  }),
  claim_groups: setting(z.string().min(1).default('groups'), {
    description:
      'Claim (dotted path) holding the group list (a leading "/" of Keycloak group paths is dropped).',
  }),
  anonymous_tenant: setting(z.string().min(1).default('default'), {
    description: 'Tenant of requests when mode = "none" (allowed only on a loopback listener).',
  }),
  deny_status: setting(
    z
      .number()
      .refine((status) => status === 403 || status === 427, 'expected 403 or 427')
      .transform((status) => status as 403 | 427)
      .default(403),
    {
      description: 'Status of an RBAC denial; 427 reproduces the original workflow-proxy.',
    }
  ),
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

const taskProxy = z.strictObject({
  enabled: setting(z.boolean().default(true), {
    description: 'Serve the worker-facing task proxy on its own listener (Node, Bun, Deno).',
  }),
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

const scheduler = z.strictObject({
  url: setting(httpUrl().optional(), {
    description: 'A schellar-compatible schedule service; schedule routes go there when set.',
  }),
})

/** An allow-listed command: absolute path, fixed leading args, a pattern every client arg must match. */
const execCommand = z.strictObject({
  path: z.string().startsWith('/', 'expected an absolute path'),
  args: z.array(z.string()).default([]),
  arg_pattern: z.string().optional(),
  allow_options: z.boolean().default(false),
  max_args: z.number().int().min(0).optional(),
})
const execCommands = () =>
  z.preprocess(
    (value) => (typeof value === 'string' ? parseJsonOr(value) : value),
    z.record(z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*(\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/), execCommand)
  )

function parseJsonOr(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

const exec = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve the command execution API under /exec (Node-compatible runtimes).',
  }),
  root: setting(z.string().min(1).optional(), {
    description: 'Directory whose executables may be run (httpexec EXEC_ROOT).',
  }),
  follow_links: setting(z.boolean().optional(), {
    description:
      'Allow the final path component to be a link pointing anywhere (httpexec FOLLOW_LINKS); false when unset here and in config_path.',
  }),
  config_path: setting(z.string().min(1).optional(), {
    description: 'An httpexec TOML file (ALL-CAPS keys) to read exec settings from.',
  }),
  commands: setting(execCommands().optional(), {
    description:
      'Allow-list mode instead of a root: name → {path, args, arg_pattern, allow_options} (TOML table or JSON in the environment).',
  }),
  workdir: setting(z.string().min(1).optional(), {
    description: "Working directory of commands (default: flowgate's own, as httpexec).",
  }),
  path: setting(z.string().min(1).default('/usr/local/bin:/usr/bin:/bin'), {
    description: 'PATH every command gets; requests cannot change it.',
  }),
  lang: setting(z.string().min(1).default('C.UTF-8'), { description: 'LANG every command gets.' }),
  env_passthrough: setting(stringList().default([]), {
    description: "Names copied from flowgate's own environment to commands (nothing else is).",
  }),
  timeout_ms: setting(z.number().int().min(1).default(60_000), {
    description: 'Longest run of a command; a request may only lower it (`timeout`, seconds).',
  }),
  kill_grace_ms: setting(millis().default(2_000), {
    description: 'Time between SIGTERM and SIGKILL to the process group on timeout, disconnect or shutdown.',
  }),
  max_output_bytes: setting(byteSize().default(10 * 1024 ** 2), {
    description: 'Cap per captured stream (buffered mode); the group is killed and `truncated` set.',
  }),
  max_stdin_bytes: setting(byteSize().default(8 * 1024 ** 2), {
    description: 'Largest decoded stdin.',
  }),
  max_args: setting(z.number().int().min(0).default(1024), { description: 'Most arguments per request.' }),
  max_env_vars: setting(z.number().int().min(0).default(128), {
    description: 'Most environment variables per request.',
  }),
  max_argv_bytes: setting(byteSize().default(256 * 1024), {
    description: 'Largest total of arguments plus request environment (the kernel limit is about 2 MiB).',
  }),
  max_concurrent: setting(z.number().int().min(1).default(16), {
    description: 'Commands running at once; more get 429 with Retry-After.',
  }),
  max_concurrent_per_command: setting(z.number().int().min(1).default(4), {
    description: 'Runs of one command at once; more get 429 with Retry-After.',
  }),
  auth: setting(z.enum(['required', 'none']).default('required'), {
    description: 'Credentials for every run, or none (refused unless the listener is loopback-only).',
  }),
  tokens: setting(stringList().default([]), {
    description: 'Bearer tokens as "id:sha256-hex-of-token:scope,scope" (scope: command, prefix/*, or *).',
    secret: true,
  }),
  hmac_keys: setting(stringList().default([]), {
    description: 'Request-signing keys as "id:key:scope,scope"; several allow rotation.',
    secret: true,
  }),
  jwt_scope_claim: setting(z.string().min(1).optional(), {
    description:
      "Also accept the gateway's JWTs (auth.jwks_url, auth.issuer) as bearer credentials; this claim lists the commands they may run.",
  }),
  hmac_window_s: setting(z.number().int().min(1).max(3600).default(300), {
    description: 'Largest clock difference accepted in a signed request timestamp.',
  }),
  spawn_helper: setting(z.boolean().default(true), {
    description:
      'On Node, start commands from a small helper process: much faster than forking the large server (see docs/PERFORMANCE.md).',
  }),
  serve_port: setting(port().default(8000), {
    description: "Port of `flowgate exec serve` (hypercorn's default, which httpexec is usually run with).",
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
export const configSchema = z
  .strictObject({
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
  .superRefine((config, ctx) => {
    // Anonymous access must never be reachable from another machine.
    if (config.auth.mode === 'none' && !isLoopback(config.server.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'mode'],
        message: `mode = "none" (anonymous) needs a loopback server.host (127.0.0.1, ::1, localhost), not ${config.server.host}`,
      })
    }
    const proxy = config.task_proxy
    if (proxy.enabled && proxy.tenant_source === 'keycloak') {
      for (const key of ['keycloak_url', 'keycloak_password'] as const) {
        if (proxy[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['task_proxy', key],
            message: `tenant_source = "keycloak" needs task_proxy.${key}`,
          })
        }
      }
    }
  })

/** Whether a listener address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

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
