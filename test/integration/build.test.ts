import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { distFresh, STAMP } from '../../scripts/dist.js'
import { ROOT } from './processes.ts'

const run = (args: string[]) =>
  spawnSync(process.execPath, args, {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '' },
  })

describe('the compiled start path (scripts/build.ts, bin/flowgate.js)', () => {
  it('compiles src/ to dist/js, which the command then runs', () => {
    const build = run(['scripts/build.ts'])
    expect(build.status).toBe(0)
    expect(distFresh(ROOT)).toBe(true)
    const compiled = run(['dist/js/cli/main.js', 'version'])
    expect(compiled.status).toBe(0)
    expect(compiled.stdout).toMatch(/^flowgate \d+\.\d+\.\d+ \(node /)
    const command = run(['bin/flowgate.js', 'config', 'check', '--json'])
    expect(command.status).toBe(0)
    expect(JSON.parse(command.stdout)).toHaveProperty('config')
  }, 180_000)

  it('calls dist/js stale once any source is newer than its stamp', () => {
    const root = mkdtempSync(join(tmpdir(), 'flowgate-dist-'))
    mkdirSync(join(root, 'src', 'lib'), { recursive: true })
    mkdirSync(join(root, 'dist', 'js'), { recursive: true })
    writeFileSync(join(root, 'tsconfig.build.json'), '{}')
    writeFileSync(join(root, 'src', 'lib', 'a.ts'), 'export {}')
    expect(distFresh(root)).toBe(false) // never built
    const at = (seconds: number) => new Date(1_700_000_000_000 + seconds * 1000)
    for (const file of ['tsconfig.build.json', 'src/lib/a.ts']) utimesSync(join(root, file), at(0), at(0))
    writeFileSync(join(root, STAMP), 'built')
    utimesSync(join(root, STAMP), at(10), at(10))
    expect(distFresh(root)).toBe(true)
    utimesSync(join(root, 'src', 'lib', 'a.ts'), at(20), at(20))
    expect(distFresh(root)).toBe(false)
    utimesSync(join(root, 'src', 'lib', 'a.ts'), at(0), at(0))
    utimesSync(join(root, 'tsconfig.build.json'), at(30), at(30))
    expect(distFresh(root)).toBe(false)
  })
})
