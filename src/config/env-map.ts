/**
 * @module The environment names of the tools flowgate replaces, mapped onto its settings, so
 * existing deployments move over unchanged. `FLOWGATE_<SECTION>_<KEY>` names come from the
 * schema itself (see resolve.ts) and win over these.
 */

/** One compatibility variable: which setting it feeds and, when needed, how to read it. */
export interface CompatEnv {
  name: string
  section: string
  key: string
  /** The tool that defined the name (for docs/CONFIG.md). */
  origin: 'workflow-proxy' | 'httpexec' | 'CaPython'
  /** Custom reading; by default the string is coerced by the setting's kind. */
  read?: (raw: string, env: Readonly<Record<string, string | undefined>>) => unknown
}

function splitOn(separatorVar: string) {
  return (raw: string, env: Readonly<Record<string, string | undefined>>): string[] => {
    const separator = env[separatorVar] || ','
    return raw
      .split(separator)
      .map((part) => part.trim())
      .filter((part) => part !== '')
  }
}

/** KEYCLOAK_HOST is `host:port` in the original; a scheme is added when missing. */
function hostToUrl(raw: string): string {
  const value = raw.trim()
  return /^https?:\/\//i.test(value) ? value : `http://${value}`
}

/** httpexec accepts exactly 1, 0, true and false (anything else failed every request there). */
function httpexecBool(raw: string): unknown {
  const value = raw.trim().toLowerCase()
  if (value === '1' || value === 'true') return true
  if (value === '0' || value === 'false') return false
  return raw
}

export const COMPAT_ENV: readonly CompatEnv[] = [
  { name: 'PROXY_TARGET', section: 'conductor', key: 'url', origin: 'workflow-proxy' },
  { name: 'SCHELLAR_TARGET', section: 'scheduler', key: 'url', origin: 'workflow-proxy' },
  { name: 'USER_FACING_PORT', section: 'server', key: 'port', origin: 'workflow-proxy' },
  { name: 'TASK_PROXY_PORT', section: 'task_proxy', key: 'port', origin: 'workflow-proxy' },
  { name: 'TASK_PROXY_LIMIT', section: 'server', key: 'body_limit', origin: 'workflow-proxy' },
  {
    name: 'KEYCLOAK_HOST',
    section: 'task_proxy',
    key: 'keycloak_url',
    origin: 'workflow-proxy',
    read: hostToUrl,
  },
  {
    name: 'KEYCLOAK_ADMIN_CLIENT_ID',
    section: 'task_proxy',
    key: 'keycloak_client_id',
    origin: 'workflow-proxy',
  },
  {
    name: 'KEYCLOAK_ADMIN_CLIENT_USERNAME',
    section: 'task_proxy',
    key: 'keycloak_username',
    origin: 'workflow-proxy',
  },
  {
    name: 'KEYCLOAK_ADMIN_CLIENT_PASSWORD',
    section: 'task_proxy',
    key: 'keycloak_password',
    origin: 'workflow-proxy',
  },
  {
    name: 'TENANT_POLL_INTERVAL',
    section: 'task_proxy',
    key: 'refresh_ms',
    origin: 'workflow-proxy',
  },
  { name: 'ADMIN_ACCESS_ROLE', section: 'auth', key: 'admin_roles', origin: 'workflow-proxy' },
  { name: 'ADMIN_ACCESS_GROUP', section: 'auth', key: 'admin_groups', origin: 'workflow-proxy' },
  { name: 'HTTPEXEC_EXEC_ROOT', section: 'exec', key: 'root', origin: 'httpexec' },
  {
    name: 'HTTPEXEC_FOLLOW_LINKS',
    section: 'exec',
    key: 'follow_links',
    origin: 'httpexec',
    read: httpexecBool,
  },
  { name: 'HTTPEXEC_CONFIG_PATH', section: 'exec', key: 'config_path', origin: 'httpexec' },
  { name: 'CAPYTHON_BASE_URL', section: 'worker', key: 'base_url', origin: 'CaPython' },
  {
    name: 'CAPYTHON_TOPICS',
    section: 'worker',
    key: 'topics',
    origin: 'CaPython',
    read: splitOn('CAPYTHON_TOPIC_SEPARATOR'),
  },
  {
    name: 'CAPYTHON_TOPIC_SEPARATOR',
    section: 'worker',
    key: 'topic_separator',
    origin: 'CaPython',
  },
  { name: 'CAPYTHON_ID', section: 'worker', key: 'worker_id', origin: 'CaPython' },
  { name: 'CAPYTHON_MAX_TASKS', section: 'worker', key: 'max_tasks', origin: 'CaPython' },
  {
    name: 'CAPYTHON_LOCK_DURATION',
    section: 'worker',
    key: 'lock_duration_ms',
    origin: 'CaPython',
  },
  {
    name: 'CAPYTHON_ASYNC_RESPONSE_TIMEOUT',
    section: 'worker',
    key: 'async_response_timeout_ms',
    origin: 'CaPython',
  },
  { name: 'CAPYTHON_RETRIES', section: 'worker', key: 'retries', origin: 'CaPython' },
  {
    name: 'CAPYTHON_RETRY_TIMEOUT',
    section: 'worker',
    key: 'retry_timeout_ms',
    origin: 'CaPython',
  },
  { name: 'CAPYTHON_SLEEP_SECONDS', section: 'worker', key: 'sleep_seconds', origin: 'CaPython' },
  {
    name: 'CAPYTHON_SCRIPT_ENTRYPOINT',
    section: 'worker',
    key: 'script_variable',
    origin: 'CaPython',
  },
  {
    name: 'CAPYTHON_REQUIREMENTS',
    section: 'worker',
    key: 'requirements',
    origin: 'CaPython',
    read: splitOn('CAPYTHON_REQUIREMENTS_SEPARATOR'),
  },
  {
    name: 'CAPYTHON_REQUIREMENTS_SEPARATOR',
    section: 'worker',
    key: 'requirements_separator',
    origin: 'CaPython',
  },
  { name: 'CAPYTHON_COMPAT', section: 'worker', key: 'compat', origin: 'CaPython' },
]

/** The variable naming the configuration file. */
export const CONFIG_FILE_ENV = 'FLOWGATE_CONFIG'

/** `FLOWGATE_<SECTION>_<KEY>` for a setting. */
export function flowgateEnvName(section: string, key: string): string {
  return `FLOWGATE_${section.toUpperCase()}_${key.toUpperCase()}`
}
