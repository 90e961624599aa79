/**
 * @module The command's environment: the kernel's clean base (process/clean-env.ts) plus the
 * request's variables, which may not change how programs load or run. The deny
 * list follows sudo's env_reset/env_check families (reference §6.4).
 */

/** Exact names (compared upper-cased) a request may not set. */
const DENIED_NAMES = new Set([
  'PATH',
  'HOME',
  'TMPDIR',
  'TMP',
  'TEMP',
  'SHELL',
  'GCONV_PATH',
  'LOCPATH',
  'NLSPATH',
  'HOSTALIASES',
  'RESOLV_HOST_CONF',
  'RES_OPTIONS',
  'LOCALDOMAIN',
  'TZDIR',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'IFS',
  'CDPATH',
  'GLOBIGNORE',
  'PROMPT_COMMAND',
  'HISTFILE',
  'INPUTRC',
  'ZDOTDIR',
  'CLASSPATH',
  'PHPRC',
  'PHP_INI_SCAN_DIR',
  'TCLLIBPATH',
  'ELECTRON_RUN_AS_NODE',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'MANPAGER',
  'BROWSER',
  'LESSOPEN',
  'LESSCLOSE',
  'VIMINIT',
  'EXINIT',
  'TERMINFO',
  'TERMINFO_DIRS',
  'TERMCAP',
  'SSH_ASKPASS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'CURL_CA_BUNDLE',
  'REQUESTS_CA_BUNDLE',
  'KRB5_CONFIG',
  'NO_PROXY',
])

/**
 * Name prefixes (compared upper-cased) a request may not set: loaders and allocators, shells,
 * language runtimes whose variables load code (`PYTHONWARNINGS` imports a module, `LUA_INIT` runs
 * code, `PERL5OPT`, `NODE_OPTIONS`, `JAVA_TOOL_OPTIONS`, `CORECLR_PROFILER_PATH`, `OPENSSL_CONF`
 * loads engines), config search paths (`XDG_CONFIG_HOME` leads git to another config), and ours.
 */
const DENIED_PREFIXES = [
  'LD_',
  'DYLD_',
  'MALLOC_',
  'GLIBC_',
  'GIT_',
  'BASH_',
  'PYTHON',
  'PERL',
  'RUBY',
  'GEM_',
  'NODE_',
  'NPM_CONFIG_',
  'DENO_',
  'BUN_',
  'LUA_',
  'JAVA_',
  '_JAVA_',
  'JDK_',
  'DOTNET_',
  'CORECLR_',
  'COMPLUS_',
  'OPENSSL_',
  'XDG_',
  'SUDO_',
  'FLOWGATE_',
  'HTTPEXEC_',
]

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

/** The base overlaid with already validated request variables (the request wins, as in httpexec). */
export function childEnvironment(
  base: Readonly<Record<string, string>>,
  requested: Readonly<Record<string, string>>
): Record<string, string> {
  return { ...base, ...requested }
}
