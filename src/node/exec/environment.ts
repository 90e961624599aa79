/**
 * @module The child's environment: a minimal base (fixed PATH and LANG, configured pass-through
 * names) plus the request's variables, which may not change how programs load or run. The deny
 * list follows sudo's env_reset/env_check families (reference §6.4).
 */

/** Exact names (compared upper-cased) a request may not set. */
const DENIED_NAMES = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'SHELL',
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'TZDIR',
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'PROMPT_COMMAND',
  'PYTHONPATH',
  'PYTHONSTARTUP',
  'PYTHONHOME',
  'PYTHONINSPECT',
  'PYTHONUSERBASE',
  'PERL5LIB',
  'PERL5OPT',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'NODE_OPTIONS',
  'NODE_PATH',
  'JAVA_TOOL_OPTIONS',
  '_JAVA_OPTIONS',
  'JDK_JAVA_OPTIONS',
  'CLASSPATH',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'NO_PROXY',
])

/** Name prefixes (compared upper-cased) a request may not set. */
const DENIED_PREFIXES = ['LD_', 'DYLD_', 'MALLOC_', 'GIT_', 'BASH_FUNC_', 'FLOWGATE_', 'HTTPEXEC_']

/** Why a request may not set `name` to `value`, or undefined when it may. */
export function deniedReason(name: string, value: string): string | undefined {
  const upper = name.toUpperCase()
  if (DENIED_NAMES.has(upper)) return `${name} may not be set by a request`
  const prefix = DENIED_PREFIXES.find((candidate) => upper.startsWith(candidate))
  if (prefix) return `names starting with ${prefix} may not be set by a request`
  if (upper.endsWith('_PROXY')) return 'proxy variables may not be set by a request'
  // Bash imports "() {"-valued variables as functions (Shellshock, CVE-2014-6271).
  if (value.startsWith('() {') || value.startsWith('(){')) return 'function definitions are not allowed'
  return undefined
}

export interface ChildEnvOptions {
  /** PATH the child always gets. */
  path: string
  /** LANG the child always gets. */
  lang: string
  /** Names copied from flowgate's own environment when present. */
  passthrough: readonly string[]
  /** flowgate's own environment (the only read of it, by configured name). */
  source: Readonly<Record<string, string | undefined>>
}

/** The base every child gets; computed once at start-up. */
export function baseEnvironment(options: ChildEnvOptions): Record<string, string> {
  const env: Record<string, string> = { PATH: options.path, LANG: options.lang }
  for (const name of options.passthrough) {
    const value = options.source[name]
    if (value !== undefined) env[name] = value
  }
  return env
}

/** The base overlaid with already validated request variables (the request wins, as in httpexec). */
export function childEnvironment(
  base: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>>
): Record<string, string> {
  return { ...base, ...requested }
}
