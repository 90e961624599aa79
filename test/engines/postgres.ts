/**
 * @module A throwaway PostgreSQL cluster for one test run: initdb in a temp folder, the server on a
 * free loopback port, database `conductor` owned by user `conductor`/`conductor`.
 */
import { execFileSync } from 'node:child_process'
import { chownSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { mustRun } from './commands.ts'
import { spawnEngine, waitUntilReady } from './engine-process.ts'
import { freePort } from './free-port.ts'
import { newRunDir } from './paths.ts'
import { postgresBinDir } from './postgres-bin.ts'

export interface PostgresOptions {
  /** Folder for the log; a new run folder in the cache when omitted. */
  runDir?: string
  timeoutMs?: number
}

export interface PostgresEngine {
  host: string
  port: number
  database: string
  user: string
  password: string
  /** `postgres://conductor:conductor@127.0.0.1:<port>/conductor` */
  url: string
  jdbcUrl: string
  stop(): Promise<void>
}

const DATABASE = 'conductor'
const USER = 'conductor'
const PASSWORD = 'conductor'

/** initdb: password logins over TCP (as Conductor uses them), trust on the private socket. */
const INITDB_FLAGS = '-U postgres -E UTF8 --no-locale --no-sync --auth-local=trust --auth-host=scram-sha-256'
/** A test cluster is thrown away after the run: durability would only cost time. */
const SERVER_SETTINGS =
  '-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off'

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresEngine> {
  const bin = postgresBinDir()
  if (!bin) throw new Error('PostgreSQL is not installed: run node test/engines/install.ts')
  const runDir = options.runDir ?? newRunDir('postgres')
  // Outside the cache: the postgres user cannot enter root's home, where the cache usually is.
  const root = mkdtempSync(join(tmpdir(), 'flowgate-pg-'))
  const data = join(root, 'data')
  const sockets = join(root, 'sockets')
  mkdirSync(sockets)
  const asServerUser = serverUser(root)
  try {
    const initdb = asServerUser(join(bin, 'initdb'), ['-D', data, ...INITDB_FLAGS.split(' ')])
    await mustRun(initdb.command, initdb.args, { cwd: root })
  } catch (error) {
    rmSync(root, { recursive: true, force: true })
    throw error
  }
  const port = await freePort()
  const server = spawnEngine({
    name: 'PostgreSQL',
    ...asServerUser(join(bin, 'postgres'), [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      sockets,
      ...SERVER_SETTINGS.split(' '),
    ]),
    cwd: root,
    logFile: join(runDir, 'postgres.log'),
    stopSignal: 'SIGINT',
    scratchDir: root,
  })
  const socketArgs = ['-h', sockets, '-p', String(port), '-U', 'postgres', '-d', 'postgres']
  const psql = (sql: string): Promise<string> =>
    mustRun(join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...socketArgs, '-c', sql])
  try {
    await waitUntilReady(server, {
      probe: () => psql('SELECT 1').then(() => true),
      timeoutMs: options.timeoutMs ?? 60_000,
      intervalMs: 250,
    })
    await psql(`CREATE ROLE ${USER} LOGIN PASSWORD '${PASSWORD}'`)
    await psql(`CREATE DATABASE ${DATABASE} OWNER ${USER}`)
  } catch (error) {
    await server.stop()
    throw error
  }
  return {
    host: '127.0.0.1',
    port,
    database: DATABASE,
    user: USER,
    password: PASSWORD,
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/${DATABASE}`,
    stop: () => server.stop(),
  }
}

interface Command {
  command: string
  args: string[]
}

/**
 * PostgreSQL refuses to run as root: as root, hand the folder to the `postgres` user and run
 * through `runuser`; as anyone else, run directly.
 */
function serverUser(root: string): (command: string, args: string[]) => Command {
  if (process.getuid?.() !== 0) return (command, args) => ({ command, args })
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  chownSync(root, uid, gid)
  chownSync(join(root, 'sockets'), uid, gid)
  return (command, args) => ({ command: 'runuser', args: ['-u', 'postgres', '--', command, ...args] })
}
