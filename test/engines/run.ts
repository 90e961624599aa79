/**
 * @module `npm run engines`: installs the engines, starts a real Conductor (in memory) on
 * 127.0.0.1:8080 — where `examples/flowgate.toml` points — and keeps it up until Ctrl-C.
 * `--keycloak` adds Keycloak on 127.0.0.1:8180 (admin/admin); `--postgres` puts Conductor on a
 * throwaway PostgreSQL so search works.
 */
import { parseArgs } from 'node:util'
import { type ConductorEngine, startConductor } from './conductor.ts'
import { installEngines } from './install.ts'
import { type KeycloakEngine, startKeycloak } from './keycloak.ts'
import { newRunDir } from './paths.ts'
import { type PostgresEngine, startPostgres } from './postgres.ts'

const { values } = parseArgs({
  options: {
    keycloak: { type: 'boolean', default: false },
    postgres: { type: 'boolean', default: false },
    'conductor-port': { type: 'string', default: '8080' },
    'keycloak-port': { type: 'string', default: '8180' },
  },
})

const stoppers: Array<() => Promise<void>> = []
let stopping = false

async function stopEverything(code: number): Promise<never> {
  if (!stopping) {
    stopping = true
    console.log('[engines] stopping…')
    // Newest first: Conductor before the PostgreSQL it writes to.
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined)
  }
  process.exit(code)
}

process.on('SIGINT', () => void stopEverything(0))
process.on('SIGTERM', () => void stopEverything(0))

try {
  await installEngines()
  const runDir = newRunDir('engines')
  console.log(`[engines] starting; logs in ${runDir}`)
  let postgres: PostgresEngine | undefined
  if (values.postgres) {
    postgres = await startPostgres({ runDir })
    stoppers.push(postgres.stop)
    console.log(`[engines] PostgreSQL  ${postgres.url}`)
  }
  const [conductor, keycloak] = await Promise.all([
    startConductor({
      persistence: postgres ? 'postgres' : 'memory',
      postgres,
      port: Number(values['conductor-port']),
      runDir,
      // Benchmarks run through this server: full JIT rather than the quick start tests use.
      quickStart: false,
    }).then((engine: ConductorEngine) => {
      stoppers.push(engine.stop)
      return engine
    }),
    values.keycloak
      ? startKeycloak({ port: Number(values['keycloak-port']), runDir }).then((engine: KeycloakEngine) => {
          stoppers.push(engine.stop)
          return engine
        })
      : undefined,
  ])
  console.log(`[engines] Conductor   ${conductor.url} (API ${conductor.url}/api, ${conductor.persistence})`)
  if (keycloak)
    console.log(`[engines] Keycloak    ${keycloak.url} (admin console ${keycloak.url}/admin, admin/admin)`)
  console.log('[engines] Camunda 7 is not started here yet. Press Ctrl-C to stop.')
} catch (error) {
  console.error(`[engines] ${error instanceof Error ? error.message : String(error)}`)
  await stopEverything(1)
}
