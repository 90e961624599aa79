/**
 * @module Vitest global set-up of the `engines` project: installs the engines, starts PostgreSQL,
 * Conductor (memory), Conductor (postgres) and Keycloak in parallel once per run, hands their
 * addresses to the tests with `provide`, and stops them all in teardown — also when one failed.
 */
import type { TestProject } from 'vitest/node'
import { type ConductorEngine, startConductor } from './conductor.ts'
import { installEngines } from './install.ts'
import { type KeycloakEngine, startKeycloak } from './keycloak.ts'
import type { KeycloakCredentials } from './keycloak-admin.ts'
import { newRunDir } from './paths.ts'
import { type PostgresEngine, startPostgres } from './postgres.ts'

export interface EngineAddresses {
  /** Conductor with in-memory persistence (no search). */
  conductorMemoryUrl: string
  /** Conductor on PostgreSQL: persistence, queues and indexing (search works). */
  conductorPostgresUrl: string
  keycloakUrl: string
  keycloakAdmin: KeycloakCredentials
  postgres: { host: string; port: number; database: string; user: string; password: string; url: string }
  /** Folder holding every engine's log for this run. */
  logDir: string
}

declare module 'vitest' {
  export interface ProvidedContext {
    engines: EngineAddresses
  }
}

interface Stoppable {
  stop(): Promise<void>
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await installEngines()
  const logDir = newRunDir('vitest')
  const started = Date.now()
  console.log(`[engines] starting PostgreSQL, Conductor (memory, postgres) and Keycloak; logs in ${logDir}`)
  const postgres = startPostgres({ runDir: logDir })
  const [memory, onPostgres, keycloak, database] = await Promise.allSettled([
    startConductor({ persistence: 'memory', runDir: logDir }),
    postgres.then((pg) => startConductor({ persistence: 'postgres', postgres: pg, runDir: logDir })),
    startKeycloak({ runDir: logDir }),
    postgres,
  ])
  const teardown = stopAll([memory, onPostgres, keycloak], database)
  if (
    memory.status === 'rejected' ||
    onPostgres.status === 'rejected' ||
    keycloak.status === 'rejected' ||
    database.status === 'rejected'
  ) {
    await teardown()
    const failures = [memory, onPostgres, keycloak, database]
      .filter((result) => result.status === 'rejected')
      .map((result) => (result.reason instanceof Error ? result.reason.message : String(result.reason)))
    // A failed PostgreSQL also fails the Conductor on it with the same error: say it once.
    throw new Error(`[engines] could not start every engine:\n\n${[...new Set(failures)].join('\n\n')}`)
  }
  console.log(
    `[engines] up in ${((Date.now() - started) / 1000).toFixed(1)}s: Conductor memory ${memory.value.url}, ` +
      `Conductor postgres ${onPostgres.value.url}, Keycloak ${keycloak.value.url}, PostgreSQL ${database.value.port}`
  )
  project.provide(
    'engines',
    addresses(memory.value, onPostgres.value, keycloak.value, database.value, logDir)
  )
  return teardown
}

function addresses(
  memory: ConductorEngine,
  onPostgres: ConductorEngine,
  keycloak: KeycloakEngine,
  database: PostgresEngine,
  logDir: string
): EngineAddresses {
  const { host, port, database: name, user, password, url } = database
  return {
    conductorMemoryUrl: memory.url,
    conductorPostgresUrl: onPostgres.url,
    keycloakUrl: keycloak.url,
    keycloakAdmin: keycloak.admin,
    postgres: { host, port, database: name, user, password, url },
    logDir,
  }
}

/** Engines first (in parallel), PostgreSQL last, so Conductor never loses its database mid-run. */
function stopAll(
  engines: PromiseSettledResult<Stoppable>[],
  database: PromiseSettledResult<Stoppable>
): () => Promise<void> {
  return async () => {
    await Promise.allSettled(
      engines.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined))
    )
    if (database.status === 'fulfilled') await database.value.stop()
  }
}
