/** @module Settings of the command execution API: [exec]. */
import { z } from 'zod'
import { byteSize, millis, port, setting, stringList } from '../setting.ts'

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

export const SPAWN_HELPERS = ['auto', 'native', 'node', 'off'] as const
export type SpawnHelperMode = (typeof SPAWN_HELPERS)[number]

/** The helper mode; booleans (and their usual spellings in the environment) as before. */
const spawnHelper = () =>
  z.preprocess((value) => {
    const text = typeof value === 'string' ? value.trim().toLowerCase() : value
    if (text === true || text === 'true' || text === '1' || text === 'yes' || text === 'on') return 'auto'
    if (text === false || text === 'false' || text === '0' || text === 'no') return 'off'
    return text
  }, z.enum(SPAWN_HELPERS))

function parseJsonOr(value: string): unknown {
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

export const exec = z.strictObject({
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
  max_buffered_bytes: setting(byteSize().default(256 * 1024 ** 2), {
    description:
      'Memory all buffered runs together may hold for captured output, counted as held plus the JSON reply it becomes (escaping can grow it sixfold), until each reply is sent; output past it truncates the run (killed, `truncated` set).',
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
  run_as: setting(
    z
      .string()
      .regex(
        /^[A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?$/,
        'expected "user", "user:group", "uid" or "uid:gid"'
      )
      .optional(),
    {
      description:
        'Run every command as this user ("user", "user:group", "uid" or "uid:gid"; group defaults to the user\'s primary group, supplementary groups are dropped). Needs root unless it is flowgate\'s own user; unset = flowgate\'s user, as httpexec.',
    }
  ),
  spawn_helper: setting(spawnHelper().default('auto'), {
    description:
      'Start commands from a small helper process rather than forking the large server (see docs/PERFORMANCE.md): "native" (the C helper `npm install` builds), "node" (a Node helper, Node only), "auto" (on Node: native when built, else node; on Bun: native for buffered runs when built, streams spawned directly; on Deno: none), "off"; true = "auto", false = "off".',
  }),
  warn_writable: setting(z.boolean().default(true), {
    description:
      "Warn at start-up when the root, or a command in it, is writable by the user commands run as (files could be dropped or swapped for links). The example configuration turns it off: a checkout is its owner's to write.",
  }),
  serve_port: setting(port().default(8000), {
    description: "Port of `flowgate exec serve` (hypercorn's default, which httpexec is usually run with).",
  }),
})
