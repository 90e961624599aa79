/**
 * @module A real Keycloak from the cached server distribution on loopback with an in-memory
 * database, so every start is a clean server with only the master realm.
 */
import { cpSync, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { httpReady, spawnEngine, waitUntilReady } from './engine-process.ts'
import { freePort } from './free-port.ts'
import { type KeycloakAdmin, type KeycloakCredentials, keycloakAdmin } from './keycloak-admin.ts'
import { keycloakHome, newRunDir } from './paths.ts'

export interface KeycloakOptions {
  /** A free loopback port when omitted. */
  port?: number
  runDir?: string
  timeoutMs?: number
}

export interface KeycloakEngine extends KeycloakAdmin {
  url: string
  admin: KeycloakCredentials
  logFile: string
  stop(): Promise<void>
}

export const KEYCLOAK_ADMIN: KeycloakCredentials = { username: 'admin', password: 'admin' }

/** Build-time options baked in by the install step (`kc.sh build`): an in-memory H2 database. */
export const KEYCLOAK_BUILD_OPTIONS = ['--db=dev-mem']
/** Written into the Keycloak folder once `kc.sh build` has run with those options. */
export const KEYCLOAK_BUILT_MARKER = '.flowgate-built'

/**
 * Production mode on the pre-built server, set up like dev mode: plain HTTP on loopback, the
 * issuer taken from the request's host, local caches (no cluster discovery).
 */
const OPTIMIZED = ['start', '--optimized', '--http-enabled=true', '--hostname-strict=false', '--cache=local']

export async function startKeycloak(options: KeycloakOptions = {}): Promise<KeycloakEngine> {
  const port = options.port ?? (await freePort())
  // Keycloak 25+ also opens a management interface (default 9000); keep it off shared ports.
  const managementPort = await freePort()
  const runDir = options.runDir ?? newRunDir('keycloak')
  // Keycloak writes into its own folder (transaction logs; lib/quarkus in dev mode): a private copy
  // (about 1.5 s) keeps runs that overlap on one machine from racing on the cached distribution.
  const home = mkdtempSync(join(tmpdir(), 'flowgate-keycloak-'))
  cpSync(keycloakHome(), home, { recursive: true })
  const server = spawnEngine({
    name: 'Keycloak',
    command: 'bash',
    args: [
      join(home, 'bin', 'kc.sh'),
      ...(existsSync(join(home, KEYCLOAK_BUILT_MARKER))
        ? OPTIMIZED
        : ['start-dev', ...KEYCLOAK_BUILD_OPTIONS]),
      '--http-host=127.0.0.1',
      `--http-port=${port}`,
      `--http-management-port=${managementPort}`,
    ],
    cwd: runDir,
    logFile: join(runDir, 'keycloak.log'),
    scratchDir: home,
    env: {
      KC_BOOTSTRAP_ADMIN_USERNAME: KEYCLOAK_ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: KEYCLOAK_ADMIN.password,
      // kc.sh would otherwise size the heap from the machine's RAM (70 %).
      JAVA_OPTS_KC_HEAP: '-Xms64m -Xmx768m',
    },
  })
  const url = `http://127.0.0.1:${port}`
  await waitUntilReady(server, {
    probe: httpReady(`${url}/realms/master`),
    timeoutMs: options.timeoutMs ?? 240_000,
  })
  return {
    ...keycloakAdmin(url, KEYCLOAK_ADMIN),
    url,
    admin: KEYCLOAK_ADMIN,
    logFile: server.logFile,
    stop: () => server.stop(),
  }
}
