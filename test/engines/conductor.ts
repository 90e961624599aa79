/**
 * @module A real Conductor OSS server from the cached boot jar: in memory (no Redis, no search)
 * or on PostgreSQL (persistence, queues and indexing, so search works).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { cdsArchivePath } from './conductor-startup-cache.ts'
import { spawnEngine, waitUntilReady } from './engine-process.ts'
import { freePort } from './free-port.ts'
import { conductorAppJar, conductorJarPath, newRunDir } from './paths.ts'

export interface ConductorPostgres {
  host: string
  port: number
  database: string
  user: string
  password: string
}

export interface ConductorOptions {
  persistence: 'memory' | 'postgres'
  /** Required for `persistence: 'postgres'`; `startPostgres()` returns a fitting object. */
  postgres?: ConductorPostgres
  /** A free loopback port when omitted. */
  port?: number
  runDir?: string
  timeoutMs?: number
  /**
   * Tests want a quick start more than peak speed: only the client JIT compiler. Pass false for
   * benchmarks through the real server.
   */
  quickStart?: boolean
}

export interface ConductorEngine {
  /** Base URL; the REST API is under `${url}/api`. */
  url: string
  persistence: 'memory' | 'postgres'
  logFile: string
  stop(): Promise<void>
}

export async function startConductor(options: ConductorOptions): Promise<ConductorEngine> {
  const port = options.port ?? (await freePort())
  const runDir = options.runDir ?? newRunDir('conductor')
  const name = `Conductor (${options.persistence})`
  const properties = {
    'server.port': String(port),
    ...(options.persistence === 'memory' ? inMemoryProperties() : postgresProperties(name, options.postgres)),
  }
  const jvm = ['-Xms256m', '-Xmx1g', '-XX:+UseSerialGC']
  if (options.quickStart !== false) jvm.push('-XX:TieredStopAtLevel=1')
  const server = spawnEngine({
    name,
    command: 'java',
    args: [
      ...jvm,
      ...(await launchArgs()),
      ...Object.entries(properties).map(([key, value]) => `--${key}=${value}`),
    ],
    cwd: runDir,
    logFile: join(runDir, `conductor-${options.persistence}.log`),
  })
  const url = `http://127.0.0.1:${port}`
  await waitUntilReady(server, {
    probe: async () => {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) })
      const body: unknown = await response.json()
      return (
        response.ok && typeof body === 'object' && body !== null && 'healthy' in body && body.healthy === true
      )
    },
    timeoutMs: options.timeoutMs ?? 240_000,
  })
  return { url, persistence: options.persistence, logFile: server.logFile, stop: () => server.stop() }
}

/** The extracted jar with its start-up archive when the install step made them, else the boot jar. */
async function launchArgs(): Promise<string[]> {
  const appJar = conductorAppJar()
  if (!existsSync(appJar)) return ['-jar', conductorJarPath()]
  const archive = await cdsArchivePath()
  return [...(existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`] : []), '-jar', appJar]
}

function commonProperties(): Record<string, string> {
  return {
    'server.address': '127.0.0.1',
    'conductor.grpc-server.enabled': 'false',
    // The bundled defaults load a kitchen-sink sample that would clutter every metadata list.
    loadSample: 'false',
  }
}

/**
 * Everything in memory. Any queue type but `redis_*` keeps the bundled Redis queue off (the
 * in-memory Jedis mock backs queues instead); without indexing every search answers empty.
 */
export function inMemoryProperties(): Record<string, string> {
  return {
    ...commonProperties(),
    'conductor.db.type': 'memory',
    'conductor.queue.type': 'memory',
    'conductor.indexing.enabled': 'false',
  }
}

/** Config C of the reference: Postgres for data, queues and search (Flyway creates the schema). */
function postgresProperties(name: string, postgres: ConductorPostgres | undefined): Record<string, string> {
  if (!postgres)
    throw new Error(`${name}: persistence 'postgres' needs the postgres option (from startPostgres())`)
  return {
    ...commonProperties(),
    'conductor.db.type': 'postgres',
    'conductor.queue.type': 'postgres',
    'conductor.indexing.enabled': 'true',
    'conductor.indexing.type': 'postgres',
    // Without this the Elasticsearch 7 indexer (default version 7) activates beside Postgres.
    'conductor.elasticsearch.version': '0',
    'spring.datasource.url': `jdbc:postgresql://${postgres.host}:${postgres.port}/${postgres.database}`,
    'spring.datasource.username': postgres.user,
    'spring.datasource.password': postgres.password,
  }
}
