import { describe, expect, it } from 'vitest'
import { locateTomlKey, type TextPosition } from '../../../src/config/toml-locate.ts'

describe('locateTomlKey', () => {
  it.each<[string, string, string[], TextPosition]>([
    ['a table header', '[server]\nport = 1', ['server'], { line: 1, column: 1 }],
    [
      'an indented header with a comment',
      'x.y = 1\n  [ server ]  # main\n',
      ['server'],
      { line: 2, column: 3 },
    ],
    ['a key under its header', '[server]\nport = 8080', ['server', 'port'], { line: 2, column: 8 }],
    ['the value after wide spacing', '[server]\n  port   =   1', ['server', 'port'], { line: 2, column: 14 }],
    ['a dotted key at the root', 'server.port = 1', ['server', 'port'], { line: 1, column: 15 }],
    ['a quoted key', '[server]\n"port" = 1', ['server', 'port'], { line: 2, column: 10 }],
    ['a quoted header', "['task_proxy']\nport = 1", ['task_proxy', 'port'], { line: 2, column: 8 }],
    ['a dotted header', '[a.b]\nc = 1', ['a', 'b', 'c'], { line: 2, column: 5 }],
    [
      'the key in its own table only',
      '[log]\nport = 1\n[server]\nport = 2',
      ['server', 'port'],
      { line: 4, column: 8 },
    ],
    ['a key in CRLF text', '[server]\r\n\r\nport = 1\r\n', ['server', 'port'], { line: 3, column: 8 }],
    ['an inline table by its key', 'server = { port = 1 }', ['server'], { line: 1, column: 10 }],
    [
      'a table defined only by its sub-tables, at the first one',
      '[exec]\nroot = "/r"\n[exec.commands.a]\npath = "/a"\n[exec.commands.b]\n',
      ['exec', 'commands'],
      { line: 3, column: 1 },
    ],
    [
      'a table by its own header before its sub-tables',
      '[a.b.c]\nx = 1\n[a.b]\ny = 2',
      ['a', 'b'],
      { line: 3, column: 1 },
    ],
  ])('finds %s', (_what, text, path, position) => {
    expect(locateTomlKey(text, path)).toEqual(position)
  })

  it.each<[string, string, string[]]>([
    ['a key that is absent', '[server]\nport = 1', ['server', 'host']],
    ['a key in an inline table', 'server = { port = 1 }', ['server', 'port']],
    ['a commented-out key', '[server]\n# port = 1', ['server', 'port']],
    ['a key under an array-of-tables header', '[[server]]\nport = 1', ['server', 'port']],
    ['anything in empty text', '', ['server']],
    ['a table whose name only starts like a header', '[exec.commandsx]\na = 1', ['exec', 'commands']],
  ])('returns undefined for %s', (_what, text, path) => {
    expect(locateTomlKey(text, path)).toBeUndefined()
  })
})
