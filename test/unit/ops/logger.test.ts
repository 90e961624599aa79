import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger, type LoggerOptions, type LogLevel } from '../../../src/ops/logger.ts'

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error']

function capture(options: LoggerOptions = {}) {
  const lines: Array<{ line: string; level: LogLevel }> = []
  const logger = createLogger({
    level: 'debug',
    ...options,
    sink: (line, level) => lines.push({ line, level }),
  })
  const records = () => lines.map(({ line }) => JSON.parse(line) as Record<string, unknown>)
  return { logger, lines, records }
}

describe('createLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it('writes one JSON object per line with time, level, msg and the fields', () => {
    const { logger, lines, records } = capture()
    logger.info('request', { status: 200, route: '/healthz' })
    expect(lines).toHaveLength(1)
    expect(lines[0]?.line).not.toContain('\n')
    const [record] = records()
    expect(record).toMatchObject({ level: 'info', msg: 'request', status: 200, route: '/healthz' })
    expect(Number.isNaN(Date.parse(String(record?.time)))).toBe(false)
  })

  it('hands the level to the sink', () => {
    const { logger, lines } = capture()
    logger.warn('careful')
    expect(lines[0]?.level).toBe('warn')
  })

  it.each<[LogLevel | 'silent', LogLevel[]]>([
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['silent', []],
  ])('at level %s writes %j', (threshold, written) => {
    const { logger, records } = capture({ level: threshold })
    for (const level of LEVELS) logger[level](level)
    expect(records().map((record) => record.level)).toEqual(written)
  })

  it('defaults to info', () => {
    const lines: string[] = []
    const logger = createLogger({ sink: (line) => lines.push(line) })
    logger.debug('hidden')
    logger.info('shown')
    expect(lines).toHaveLength(1)
  })

  it('writes to console.log when no sink is given', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    createLogger().info('to stdout', { n: 1 })
    expect(log).toHaveBeenCalledOnce()
    expect(JSON.parse(String(log.mock.calls[0]?.[0]))).toMatchObject({ msg: 'to stdout', n: 1 })
  })

  it('gives every line of a child its bindings', () => {
    const { logger, records } = capture()
    const child = logger.child({ requestId: 'r-1' }).child({ tenant: 'acme' })
    child.info('a')
    child.error('b', { status: 500 })
    expect(records()).toEqual([
      expect.objectContaining({ msg: 'a', requestId: 'r-1', tenant: 'acme' }),
      expect.objectContaining({ msg: 'b', requestId: 'r-1', tenant: 'acme', status: 500 }),
    ])
  })

  it('leaves the parent without the bindings of its child', () => {
    const { logger, records } = capture()
    logger.child({ requestId: 'r-1' })
    logger.info('parent')
    expect(records()[0]).not.toHaveProperty('requestId')
  })

  it('keeps the level of its parent in a child', () => {
    const { logger, lines } = capture({ level: 'warn' })
    logger.child({ requestId: 'r' }).info('dropped')
    expect(lines).toEqual([])
  })

  it.each([
    'authorization',
    'Authorization',
    'proxy-authorization',
    'cookie',
    'Cookie',
    'set-cookie',
    'password',
    'keycloak_password',
    'passwd',
    'secret',
    'client_secret',
    'clientSecret',
    'token',
    'accessToken',
    'refresh_token',
    'apiKey',
    'api_key',
    'x-api-key',
  ])('redacts the value of a %s key', (key) => {
    const { logger, lines } = capture()
    logger.info('hostile', { [key]: 'hunter2' })
    expect(lines[0]?.line).not.toContain('hunter2')
    expect(JSON.parse(lines[0]?.line ?? '{}')[key]).toBe('[redacted]')
  })

  it('redacts secrets nested in objects and arrays', () => {
    const { logger, lines } = capture()
    logger.info('nested', {
      headers: { Authorization: 'Bearer hunter2', accept: 'text/html' },
      upstream: [{ cookie: 'sid=hunter2' }],
    })
    expect(lines[0]?.line).not.toContain('hunter2')
    expect(lines[0]?.line).toContain('text/html')
  })

  it('redacts secrets in the bindings of a child', () => {
    const { logger, lines } = capture()
    logger.child({ token: 'hunter2' }).info('bound')
    expect(lines[0]?.line).not.toContain('hunter2')
  })

  it.each([
    'requestId',
    'tenant',
    'user',
    'method',
    'route',
    'path',
    'status',
    'ms',
    'code',
    'check',
    'tokens',
  ])('keeps the value of a %s key', (key) => {
    const { logger, records } = capture()
    logger.info('plain', { [key]: 'value' })
    expect(records()[0]?.[key]).toBe('value')
  })

  it('writes an Error with name, message, stack and cause', () => {
    const { logger, records } = capture()
    const error = new TypeError('boom', { cause: new Error('root cause') })
    logger.error('failed', { error })
    const written = records()[0]?.error as Record<string, unknown>
    expect(written).toMatchObject({ name: 'TypeError', message: 'boom', cause: { message: 'root cause' } })
    expect(written.stack).toContain('TypeError: boom')
  })

  it('writes a bigint as a string', () => {
    const { logger, records } = capture()
    logger.info('big', { bytes: 2n ** 70n })
    expect(records()[0]?.bytes).toBe('1180591620717411303424')
  })

  it('never throws on circular fields and cuts the circle', () => {
    const { logger, records } = capture()
    const loop: Record<string, unknown> = { name: 'loop' }
    loop.self = loop
    expect(() => logger.info('circular', { loop })).not.toThrow()
    expect(records()[0]).toMatchObject({ msg: 'circular', loop: { name: 'loop', self: '[circular]' } })
  })

  it('never throws on an error whose cause is itself', () => {
    const { logger, records } = capture()
    const error = new Error('self-caused')
    error.cause = error
    expect(() => logger.error('failed', { error })).not.toThrow()
    expect(records()[0]).toMatchObject({ error: { message: 'self-caused', cause: '[circular]' } })
  })

  it('still writes the message when a field cannot be serialised at all', () => {
    const { logger, records } = capture()
    const hostile = {
      toJSON() {
        throw new Error('no')
      },
    }
    expect(() => logger.warn('odd', { hostile })).not.toThrow()
    expect(records()[0]).toMatchObject({
      level: 'warn',
      msg: 'odd',
      logError: 'fields could not be serialised',
    })
  })
})
