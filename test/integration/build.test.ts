import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { distFresh, STAMP } from '../../scripts/dist.js'
import { freePort, ROOT, startServer } from './processes.ts'

/** The command line a running process was started with (after any execve). */
const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)

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

  describe('a server gets the young-generation cap', () => {
    const serve = async (env: Record<string, string>) => {
      const port = await freePort()
      return startServer(process.execPath, {
        args: ['bin/flowgate.js', 'serve'],
        port,
        env: { FLOWGATE_SERVER_PORT: String(port), FLOWGATE_TASK_PROXY_PORT: '0', ...env },
      })
    }

    it('re-executes itself with --max-semi-space-size=2 in the same process', async () => {
      const server = await serve({})
      try {
        const pid = server.child.pid ?? 0
        const args = commandLine(pid)
        expect(args.slice(1)).toEqual(['--max-semi-space-size=2', join(ROOT, 'bin', 'flowgate.js'), 'serve'])
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
      } finally {
        expect((await server.stop()).code).toBe(0)
      }
    }, 60_000)

    it('keeps a size the operator gave in NODE_OPTIONS', async () => {
      const server = await serve({ NODE_OPTIONS: '--max-semi-space-size=16' })
      try {
        expect(commandLine(server.child.pid ?? 0)).not.toContain('--max-semi-space-size=2')
      } finally {
        await server.stop()
      }
    }, 60_000)

    it.each([
      [['serve', '--no-such-flag'], true],
      [['exec', 'serve', '--no-such-flag'], true],
      [['config', 'check', '--no-such-flag'], false],
    ])('flowgate %j re-executes itself: %s', (argv, expected) => {
      const result = spawnSync(
        process.execPath,
        [
          '-e',
          `process.argv = [process.argv[0], 'bin/flowgate.js', ...${JSON.stringify(argv)}]
        process.execve = () => { console.log('EXECVE'); process.exit(0) }
        import('./bin/flowgate.js')`,
        ],
        { cwd: ROOT, encoding: 'utf8' }
      )
      expect(result.stdout.includes('EXECVE')).toBe(expected)
      // Without the re-execution the command itself runs and refuses the unknown flag.
      if (!expected) expect(result.status).toBe(2)
    })

    it('runs without the cap when the re-execution fails', () => {
      const result = spawnSync(
        process.execPath,
        [
          '-e',
          `process.argv = [process.argv[0], 'bin/flowgate.js', 'serve', '--no-such-flag']
        process.execve = () => { throw new Error('EACCES: simulated') }
        import('./bin/flowgate.js')`,
        ],
        { cwd: ROOT, encoding: 'utf8' }
      )
      expect(result.stderr).toContain('running without --max-semi-space-size=2 (EACCES: simulated)')
      // The command itself ran: it refuses the unknown flag.
      expect(result.status).toBe(2)
    })

    it('leaves short commands alone', () => {
      const result = spawnSync(
        process.execPath,
        [
          '-e',
          `
        process.argv = [process.argv[0], 'bin/flowgate.js', 'version']
        process.execve = () => { console.log('EXECVE'); process.exit(0) }
        import('./bin/flowgate.js')`,
        ],
        { cwd: ROOT, encoding: 'utf8' }
      )
      expect(result.stdout).not.toContain('EXECVE')
      expect(result.stdout).toMatch(/^flowgate \d/)
    })
  })
})
