import { describe, expect, it } from 'vitest'
import { type ConfigFlag, type ConfigInput, resolveConfig } from '../../../src/config/resolve.ts'
import { ConfigError, type ConfigIssue, describeSource } from '../../../src/config/sources.ts'

const PATH = 'flowgate.toml'

function file(text: string): ConfigInput['file'] {
  return { path: PATH, text }
}

function flag(name: string, section: string, key: string, value: string): ConfigFlag {
  return { name, section, key, value }
}

/** The ConfigError resolveConfig throws for `input` (fails the test when it does not throw one). */
function failure(input: ConfigInput): ConfigError {
  try {
    resolveConfig(input)
  } catch (error) {
    if (error instanceof ConfigError) return error
    throw error
  }
  throw new Error('expected resolveConfig to throw a ConfigError')
}

function onlyIssue(input: ConfigInput): ConfigIssue {
  const { issues } = failure(input)
  expect(issues).toHaveLength(1)
  const [issue] = issues
  if (!issue) throw new Error('no issue')
  return issue
}

describe('resolveConfig precedence', () => {
  const FILE = file('[server]\nport = 1\n')
  const COMPAT = { USER_FACING_PORT: '2' }
  const FLOWGATE = { FLOWGATE_SERVER_PORT: '3' }
  const FLAGS = [flag('--port', 'server', 'port', '4')]

  it.each<[string, ConfigInput, number, string]>([
    ['the default alone', {}, 8088, 'default'],
    ['the file over the default', { file: FILE }, 1, 'flowgate.toml:2:8'],
    ['a compatibility variable over the file', { file: FILE, env: COMPAT }, 2, 'env USER_FACING_PORT'],
    [
      'a FLOWGATE_ variable over a compatibility variable',
      { file: FILE, env: { ...FLOWGATE, ...COMPAT } },
      3,
      'env FLOWGATE_SERVER_PORT',
    ],
    [
      'a flag over every variable',
      { file: FILE, env: { ...COMPAT, ...FLOWGATE }, flags: FLAGS },
      4,
      'flag --port',
    ],
    ['a flag over the file alone', { file: FILE, flags: FLAGS }, 4, 'flag --port'],
  ])('takes %s', (_what, input, port, source) => {
    const { config, sources } = resolveConfig(input)
    expect(config.server.port).toBe(port)
    const where = sources.get('server.port')
    expect(where ? describeSource(where) : 'default').toBe(source)
  })

  it('lets a later flag win over an earlier one', () => {
    const { config } = resolveConfig({
      flags: [flag('--port', 'server', 'port', '5'), flag('--set server.port', 'server', 'port', '6')],
    })
    expect(config.server.port).toBe(6)
  })

  it('keeps file values that nothing overrides next to overridden ones', () => {
    const { config } = resolveConfig({
      file: file('[server]\nhost = "0.0.0.0"\nport = 1\n'),
      env: { FLOWGATE_SERVER_PORT: '2' },
    })
    expect(config.server).toMatchObject({ host: '0.0.0.0', port: 2 })
  })

  it('lets a valid override replace a bad file value without an issue', () => {
    const { config } = resolveConfig({
      file: file('[server]\nport = "eighty"\n'),
      env: { FLOWGATE_SERVER_PORT: '80' },
    })
    expect(config.server.port).toBe(80)
  })

  it('records no source for a default', () => {
    expect(resolveConfig({}).sources.size).toBe(0)
  })
})

describe('resolveConfig compatibility variables', () => {
  it.each<[string, Record<string, string>, string, string, unknown]>([
    ['PROXY_TARGET', { PROXY_TARGET: 'http://conductor:8080' }, 'conductor', 'url', 'http://conductor:8080'],
    [
      'SCHELLAR_TARGET',
      { SCHELLAR_TARGET: 'http://schellar:3000' },
      'scheduler',
      'url',
      'http://schellar:3000',
    ],
    ['ADMIN_ACCESS_ROLE', { ADMIN_ACCESS_ROLE: 'OWNER, ADMIN' }, 'auth', 'admin_roles', ['OWNER', 'ADMIN']],
    ['ADMIN_ACCESS_GROUP', { ADMIN_ACCESS_GROUP: 'ops' }, 'auth', 'admin_groups', ['ops']],
    [
      'KEYCLOAK_HOST',
      { KEYCLOAK_HOST: 'keycloak:8080' },
      'task_proxy',
      'keycloak_url',
      'http://keycloak:8080',
    ],
    [
      'KEYCLOAK_HOST',
      { KEYCLOAK_HOST: 'https://kc.example' },
      'task_proxy',
      'keycloak_url',
      'https://kc.example',
    ],
    ['TASK_PROXY_LIMIT', { TASK_PROXY_LIMIT: '50mb' }, 'server', 'body_limit', 52_428_800],
    ['TENANT_POLL_INTERVAL', { TENANT_POLL_INTERVAL: '2500' }, 'task_proxy', 'refresh_ms', 2500],
    ['HTTPEXEC_FOLLOW_LINKS', { HTTPEXEC_FOLLOW_LINKS: '1' }, 'exec', 'follow_links', true],
    ['HTTPEXEC_FOLLOW_LINKS', { HTTPEXEC_FOLLOW_LINKS: 'true' }, 'exec', 'follow_links', true],
    ['HTTPEXEC_FOLLOW_LINKS', { HTTPEXEC_FOLLOW_LINKS: '0' }, 'exec', 'follow_links', false],
    ['HTTPEXEC_FOLLOW_LINKS', { HTTPEXEC_FOLLOW_LINKS: 'false' }, 'exec', 'follow_links', false],
    [
      'CAPYTHON_TOPICS',
      { CAPYTHON_TOPICS: 'invoice;ship ; ;mail', CAPYTHON_TOPIC_SEPARATOR: ';' },
      'worker',
      'topics',
      ['invoice', 'ship', 'mail'],
    ],
    ['CAPYTHON_TOPICS', { CAPYTHON_TOPICS: 'a,b' }, 'worker', 'topics', ['a', 'b']],
    ['CAPYTHON_TOPIC_SEPARATOR', { CAPYTHON_TOPIC_SEPARATOR: ';' }, 'worker', 'topic_separator', ';'],
    [
      'CAPYTHON_REQUIREMENTS',
      { CAPYTHON_REQUIREMENTS: 'req.txt:dev.txt', CAPYTHON_REQUIREMENTS_SEPARATOR: ':' },
      'worker',
      'requirements',
      ['req.txt', 'dev.txt'],
    ],
    [
      'CAPYTHON_REQUIREMENTS',
      { CAPYTHON_REQUIREMENTS: 'a.txt,b.txt' },
      'worker',
      'requirements',
      ['a.txt', 'b.txt'],
    ],
    ['CAPYTHON_SLEEP_SECONDS', { CAPYTHON_SLEEP_SECONDS: '2.5' }, 'worker', 'sleep_seconds', 2.5],
    ['CAPYTHON_COMPAT', { CAPYTHON_COMPAT: 'yes' }, 'worker', 'compat', true],
  ])('reads %s (%j)', (_name, env, section, key, value) => {
    const config: Record<string, Record<string, unknown>> = resolveConfig({ env }).config
    expect(config[section]?.[key]).toEqual(value)
  })

  it('splits CAPYTHON_TOPICS on CAPYTHON_TOPIC_SEPARATOR only, not on commas', () => {
    const { config } = resolveConfig({ env: { CAPYTHON_TOPICS: 'a,b;c', CAPYTHON_TOPIC_SEPARATOR: ';' } })
    expect(config.worker.topics).toEqual(['a,b', 'c'])
  })

  it.each(['yes', 'no', 'on', '2', 'enabled'])(
    'refuses HTTPEXEC_FOLLOW_LINKS=%s, naming the variable',
    (value) => {
      const issue = onlyIssue({ env: { HTTPEXEC_FOLLOW_LINKS: value } })
      expect(issue.source).toBe('env HTTPEXEC_FOLLOW_LINKS')
      expect(issue.setting).toBe('exec.follow_links')
    }
  )

  it('ignores an empty compatibility variable', () => {
    const { config, sources } = resolveConfig({ env: { PROXY_TARGET: '', USER_FACING_PORT: '' } })
    expect(config.conductor.url).toBe('http://127.0.0.1:8080')
    expect(config.server.port).toBe(8088)
    expect(sources.size).toBe(0)
  })

  it.each([
    ['USER_FACING_PORT', 'eighty', 'server.port', '"eighty"'],
    ['CAPYTHON_MAX_TASKS', '0', 'worker.max_tasks', '0'],
    ['PROXY_TARGET', 'conductor:8080', 'conductor.url', '"conductor:8080"'],
    ['TASK_PROXY_LIMIT', 'huge', 'server.body_limit', '"huge"'],
  ])('names %s when its value %j is bad', (name, value, setting, shown) => {
    const issue = onlyIssue({ env: { [name]: value } })
    expect(issue).toMatchObject({ source: `env ${name}`, setting })
    expect(issue.message).toContain(`(got ${shown})`)
  })
})

describe('resolveConfig FLOWGATE_ variables', () => {
  it.each<[string, string, string, string, unknown]>([
    ['FLOWGATE_SERVER_PORT', '9000', 'server', 'port', 9000],
    ['FLOWGATE_SERVER_HOST', '0.0.0.0', 'server', 'host', '0.0.0.0'],
    ['FLOWGATE_SERVER_BODY_LIMIT', '2kb', 'server', 'body_limit', 2048],
    ['FLOWGATE_SERVER_BODY_LIMIT', '1024', 'server', 'body_limit', 1024],
    ['FLOWGATE_LOG_LEVEL', 'warn', 'log', 'level', 'warn'],
    ['FLOWGATE_LOG_ACCESS', 'off', 'log', 'access', false],
    ['FLOWGATE_AUTH_ALGORITHMS', 'RS256, ES256', 'auth', 'algorithms', ['RS256', 'ES256']],
    ['FLOWGATE_EXEC_FOLLOW_LINKS', 'yes', 'exec', 'follow_links', true],
    ['FLOWGATE_TASK_PROXY_KEYCLOAK_URL', 'http://kc:8080', 'task_proxy', 'keycloak_url', 'http://kc:8080'],
  ])('reads %s=%j', (name, value, section, key, expected) => {
    const config: Record<string, Record<string, unknown>> = resolveConfig({ env: { [name]: value } }).config
    expect(config[section]?.[key]).toEqual(expected)
  })

  it('names the env variable of a bad value', () => {
    const issue = onlyIssue({ env: { FLOWGATE_SERVER_PORT: 'eighty' } })
    expect(issue).toMatchObject({ source: 'env FLOWGATE_SERVER_PORT', setting: 'server.port' })
    expect(issue.message).toContain('(got "eighty")')
  })

  it('suggests the closest name for an unknown FLOWGATE_ variable', () => {
    expect(onlyIssue({ env: { FLOWGATE_SERVER_PROT: '80' } })).toEqual({
      source: 'env FLOWGATE_SERVER_PROT',
      message: 'no such setting (did you mean FLOWGATE_SERVER_PORT?)',
    })
  })

  it('suggests nothing for an unknown FLOWGATE_ variable unlike any setting', () => {
    expect(onlyIssue({ env: { FLOWGATE_SOMETHING_ELSE: '1' } }).message).toBe('no such setting')
  })

  it('does not take FLOWGATE_CONFIG for a setting', () => {
    expect(resolveConfig({ env: { FLOWGATE_CONFIG: '/etc/flowgate.toml' } }).sources.size).toBe(0)
  })

  it('ignores variables without the FLOWGATE_ prefix and unset ones', () => {
    const { sources } = resolveConfig({
      env: { PATH: '/usr/bin', HOME: '/root', FLOWGATE: 'x', FLOWGATE_SERVER_PORT: undefined },
    })
    expect(sources.size).toBe(0)
  })

  it('refuses an empty FLOWGATE_ value rather than taking it for unset', () => {
    expect(onlyIssue({ env: { FLOWGATE_SERVER_HOST: '' } }).source).toBe('env FLOWGATE_SERVER_HOST')
  })
})

describe('resolveConfig flags', () => {
  it('reads a flag with the kind of its setting', () => {
    const { config } = resolveConfig({ flags: [flag('--set log.access', 'log', 'access', 'false')] })
    expect(config.log.access).toBe(false)
  })

  it('names the flag of a bad value', () => {
    const issue = onlyIssue({ flags: [flag('--port', 'server', 'port', '99999')] })
    expect(issue).toMatchObject({ source: 'flag --port', setting: 'server.port' })
  })

  it.each([
    ['server', 'prot'],
    ['sever', 'port'],
    ['__proto__', 'polluted'],
    ['server', 'constructor'],
  ])('refuses a flag for the unknown setting %s.%s', (section, key) => {
    expect(onlyIssue({ flags: [flag(`--set ${section}.${key}`, section, key, '1')] })).toEqual({
      source: `flag --set ${section}.${key}`,
      message: `no such setting ${section}.${key}`,
    })
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('resolveConfig file', () => {
  it('reads every section of a valid file', () => {
    const { config } = resolveConfig({
      file: file(
        '# flowgate\n[server]\nport = 9000\nbody_limit = "50mb"\n\n[auth]\nmode = "headers"\nadmin_roles = ["OWNER", "ROOT"]\n'
      ),
    })
    expect(config.server.port).toBe(9000)
    expect(config.server.body_limit).toBe(52_428_800)
    expect(config.auth.mode).toBe('headers')
    expect(config.auth.admin_roles).toEqual(['OWNER', 'ROOT'])
  })

  it('records the line and column of each file value', () => {
    const { sources } = resolveConfig({ file: file('[server]\nhost = "::1"\n  port = 1\n') })
    expect(sources.get('server.host')).toEqual({ kind: 'file', path: PATH, line: 2, column: 8 })
    expect(sources.get('server.port')).toEqual({ kind: 'file', path: PATH, line: 3, column: 10 })
  })

  it.each([
    [
      'a value without a key',
      '[server]\nport = = 80\n',
      'flowgate.toml:2:8',
      'malformed TOML: invalid value',
    ],
    ['an unterminated string', '[server]\nhost = "abc\n', 'flowgate.toml:2:12', 'malformed TOML: '],
    ['an unterminated table', '[server\nport = 1\n', 'flowgate.toml:1:', 'malformed TOML: '],
    ['a redefined key', '[server]\nport = 1\nport = 2\n', 'flowgate.toml:3:', 'malformed TOML: '],
  ])('reports malformed TOML (%s) with line and column', (_what, text, source, message) => {
    const issue = onlyIssue({ file: file(text) })
    expect(issue.source.startsWith(source)).toBe(true)
    expect(issue.source).toMatch(/^flowgate\.toml:\d+:\d+$/)
    expect(issue.message.startsWith(message)).toBe(true)
    expect(issue.message).not.toContain('\n')
    expect(issue.message).not.toContain('Invalid TOML document')
  })

  it('reports an unknown section at its header', () => {
    expect(onlyIssue({ file: file('[server]\nport = 80\n\n[sever]\nport = 81\n') })).toEqual({
      source: 'flowgate.toml:4:1',
      message: 'unknown section sever',
    })
  })

  it('reports an unknown key at its line', () => {
    expect(onlyIssue({ file: file('[server]\nport = 80\nprot = 81\n') })).toEqual({
      source: 'flowgate.toml:3:8',
      message: 'unknown setting server.prot',
    })
  })

  it('names every unknown key of a section', () => {
    expect(onlyIssue({ file: file('[log]\nlevl = "x"\naccess_log = true\n') }).message).toBe(
      'unknown setting log.levl, log.access_log'
    )
  })

  it('refuses a top-level value that is not a [section] table', () => {
    expect(onlyIssue({ file: file('port = 80\n') })).toEqual({
      source: 'flowgate.toml:1:8',
      message: '"port" must be a [section] table',
    })
  })

  it('names file, line, column, setting and value of a bad value', () => {
    expect(onlyIssue({ file: file('[server]\nport = "eighty"\n') })).toEqual({
      source: 'flowgate.toml:2:8',
      setting: 'server.port',
      message: expect.stringMatching(/expected number.*\(got "eighty"\)$/),
    })
  })

  it('names the file alone for a bad value in an inline table', () => {
    expect(onlyIssue({ file: file('server = { port = "x" }\n') }).source).toBe(PATH)
  })

  it('reports every issue at once, from every source', () => {
    const { issues, message } = failure({
      file: file('[server]\nport = "eighty"\n[sever]\n'),
      env: { FLOWGATE_LOG_LEVL: 'x', USER_FACING_PORT: undefined, PROXY_TARGET: 'nope' },
      flags: [flag('--set exec.enabled', 'exec', 'enabled', 'perhaps')],
    })
    expect(issues.map((issue) => issue.source).sort()).toEqual([
      'env FLOWGATE_LOG_LEVL',
      'env PROXY_TARGET',
      'flag --set exec.enabled',
      'flowgate.toml:2:8',
      'flowgate.toml:3:1',
    ])
    for (const issue of issues) expect(message).toContain(issue.source)
  })
})

describe('resolveConfig secrets', () => {
  const SECRET = 'hunter2'

  it.each<[string, ConfigInput]>([
    ['a secret of the wrong type', { file: file('[task_proxy]\nkeycloak_password = ["hunter2"]\n') }],
    ['a secret under a misspelled key', { file: file('[task_proxy]\nkeycloak_pasword = "hunter2"\n') }],
    ['a secret in the wrong section', { file: file('[server]\nkeycloak_password = "hunter2"\n') }],
    [
      'a secret on a line with an unterminated string',
      { file: file('[task_proxy]\nkeycloak_password = "hunter2\n') },
    ],
    ['a secret as a bare word', { file: file('[task_proxy]\nkeycloak_password = hunter2\n') }],
    ['a secret in a misspelled variable', { env: { FLOWGATE_TASK_PROXY_KEYCLOAK_PASWORD: SECRET } }],
    ['a secret in a flag for an unknown setting', { flags: [flag('--set x.y', 'x', 'y', SECRET)] }],
    ['a URL password with a wrong scheme (env)', { env: { PROXY_TARGET: 'ftp://svc:hunter2@conductor/' } }],
    [
      'a URL password in an unparsable URL (env)',
      { env: { FLOWGATE_CONDUCTOR_URL: 'http://svc:hunter2@con ductor' } },
    ],
    [
      'a URL password with a wrong scheme (file)',
      { file: file('[scheduler]\nurl = "ftp://svc:hunter2@s"\n') },
    ],
    [
      'a URL password with a wrong scheme (flag)',
      { flags: [flag('--set worker.base_url', 'worker', 'base_url', 'ftp://u:hunter2@c')] },
    ],
    ['a URL password inside a list', { file: file('[auth]\nadmin_roles = ["", "http://u:hunter2@x"]\n') }],
  ])('keeps %s out of the ConfigError', (_what, input) => {
    const error = failure(input)
    expect(error.message).not.toContain(SECRET)
    expect(JSON.stringify(error.issues)).not.toContain(SECRET)
  })

  it('still shows the rest of a bad URL, with its password redacted', () => {
    expect(onlyIssue({ env: { PROXY_TARGET: 'ftp://svc:hunter2@conductor/' } }).message).toContain(
      '(got "ftp://svc:[redacted]@conductor/")'
    )
  })
})

describe('resolveConfig result', () => {
  const { config } = resolveConfig({ env: { ADMIN_ACCESS_ROLE: 'OWNER' } })

  it.each(Object.keys(config))('freezes the %s section', (section) => {
    expect(Object.isFrozen((config as Record<string, unknown>)[section])).toBe(true)
  })

  it('freezes the whole configuration and its lists', () => {
    expect(Object.isFrozen(config)).toBe(true)
    expect(Object.isFrozen(config.auth.admin_roles)).toBe(true)
    expect(Object.isFrozen(config.worker.topics)).toBe(true)
  })

  it('throws on any attempt to change it', () => {
    expect(() => {
      ;(config.server as { port: number }).port = 1
    }).toThrow(TypeError)
    expect(() => (config.auth.admin_roles as string[]).push('ROOT')).toThrow(TypeError)
    expect(config.server.port).toBe(8088)
  })
})

describe('auth.deny_status', () => {
  it.each([
    ['FLOWGATE_AUTH_DENY_STATUS', '427', 427],
    ['FLOWGATE_AUTH_DENY_STATUS', '403', 403],
  ])('reads %s=%s from the environment', (name, value, expected) => {
    expect(resolveConfig({ env: { [name]: value } }).config.auth.deny_status).toBe(expected)
  })

  it('refuses any other status, naming the variable', () => {
    expect(() => resolveConfig({ env: { FLOWGATE_AUTH_DENY_STATUS: '401' } })).toThrow(
      /FLOWGATE_AUTH_DENY_STATUS.*403 or 427/
    )
  })
})

describe('resolveConfig values inside table settings', () => {
  it('names the whole path and the line of a missing field in a sub-table', () => {
    const { issues } = failure({ file: file('[exec]\nroot = "/tmp"\n\n[exec.commands.deploy]\nargs = []\n') })
    expect(issues).toContainEqual({
      source: `${PATH}:4:1`,
      setting: 'exec.commands.deploy.path',
      message: 'missing (expected string)',
    })
  })

  it('names the line of a bad value inside a sub-table, with the value', () => {
    const issue = failure({
      file: file('[exec]\nroot = "/tmp"\n\n[exec.commands.deploy]\npath = "relative"\n'),
    }).issues.find((entry) => entry.setting === 'exec.commands.deploy.path')
    expect(issue?.source).toBe(`${PATH}:5:8`)
    expect(issue?.message).toContain('(got "relative")')
  })

  it('names the line of an unknown key inside a sub-table', () => {
    const { issues } = failure({
      file: file('[exec]\nroot = "/tmp"\n\n[exec.commands.deploy]\npath = "/bin/true"\ntimeout = 5\n'),
    })
    expect(issues).toContainEqual({
      source: `${PATH}:6:11`,
      message: 'unknown setting exec.commands.deploy.timeout',
    })
  })
})
