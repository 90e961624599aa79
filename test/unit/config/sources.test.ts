import { describe, expect, it } from 'vitest'
import { ConfigError, describeSource, type SettingSource } from '../../../src/config/sources.ts'

describe('describeSource', () => {
  it.each<[SettingSource, string]>([
    [{ kind: 'default' }, 'default'],
    [{ kind: 'file', path: 'flowgate.toml' }, 'flowgate.toml'],
    [{ kind: 'file', path: 'flowgate.toml', line: 3, column: 8 }, 'flowgate.toml:3:8'],
    [{ kind: 'file', path: '/etc/fg.toml', line: 2 }, '/etc/fg.toml:2:1'],
    [{ kind: 'env', name: 'FLOWGATE_SERVER_PORT' }, 'env FLOWGATE_SERVER_PORT'],
    [{ kind: 'flag', name: '--port' }, 'flag --port'],
  ])('names %j as %j', (source, text) => {
    expect(describeSource(source)).toBe(text)
  })
})

describe('ConfigError', () => {
  const issues = [
    { source: 'env FLOWGATE_SERVER_PORT', setting: 'server.port', message: 'too big' },
    { source: 'flowgate.toml:4:1', message: 'unknown section sever' },
  ]

  it('is an Error named ConfigError that keeps its issues', () => {
    const error = new ConfigError(issues)
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ConfigError')
    expect(error.issues).toEqual(issues)
  })

  it('lists every issue on its own line with source and setting', () => {
    expect(new ConfigError(issues).message).toBe(
      'invalid configuration:\n' +
        '  env FLOWGATE_SERVER_PORT: server.port: too big\n' +
        '  flowgate.toml:4:1: unknown section sever'
    )
  })
})
