/**
 * @module Install step for the real engines (`node test/engines/install.ts`): fetches the Conductor
 * boot jar and Keycloak from Maven Central into the cache, prepares both for quick starts, and
 * installs PostgreSQL (and Java, Maven, unzip) from Debian when missing. Idempotent: a warm
 * cache costs a few file checks.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { lastLines, mustRun, runCommand, which } from './commands.ts'
import { inMemoryProperties } from './conductor.ts'
import { ensureConductorStartupCache } from './conductor-startup-cache.ts'
import { KEYCLOAK_BUILD_OPTIONS, KEYCLOAK_BUILT_MARKER } from './keycloak.ts'
import { cacheDir, conductorJarPath, keycloakHome, mavenRepo } from './paths.ts'
import { postgresBinDir } from './postgres-bin.ts'
import {
  CONDUCTOR_ARTIFACT,
  CONDUCTOR_VERSION,
  DEPENDENCY_PLUGIN,
  KEYCLOAK_ARTIFACT,
  KEYCLOAK_VERSION,
} from './versions.ts'

export interface InstalledEngines {
  conductorJar: string
  keycloakHome: string
  postgresBin: string
}

type Log = (line: string) => void

const say: Log = (line) => console.log(`[engines] ${line}`)

/** Makes sure every engine is on disk; throws an Error that says what to do when it cannot. */
export async function installEngines(log: Log = say): Promise<InstalledEngines> {
  const started = Date.now()
  mkdirSync(cacheDir(), { recursive: true })
  removeStalePartials()
  await ensureSystemPackages(log)
  await ensureJava17(log)
  const conductorJar = await ensureConductor(log)
  await ensureConductorStartupCache(log, inMemoryProperties())
  const home = await ensureKeycloak(log)
  const postgresBin = postgresBinDir()
  if (!postgresBin)
    throw new Error('PostgreSQL server programs not found after install: apt-get install postgresql')
  log(`engines ready in ${seconds(started)} (cache ${cacheDir()})`)
  return { conductorJar, keycloakHome: home, postgresBin }
}

/** Debian packages for programs the engines need; installed in one apt-get run when any is missing. */
async function ensureSystemPackages(log: Log): Promise<void> {
  const missing: string[] = []
  if (!which('java')) missing.push('openjdk-17-jre-headless')
  if (!which('mvn')) missing.push('maven')
  if (!which('unzip')) missing.push('unzip')
  if (!postgresBinDir()) missing.push('postgresql')
  if (missing.length === 0) return
  if (process.getuid?.() !== 0) {
    throw new Error(
      `missing ${missing.join(', ')}: run as root, or install them: sudo apt-get install ${missing.join(' ')}`
    )
  }
  const started = Date.now()
  log(`installing ${missing.join(', ')} with apt-get…`)
  const env = { DEBIAN_FRONTEND: 'noninteractive' }
  await mustRun('apt-get', ['update', '-q'], { env }).catch((error: unknown) => {
    throw new Error(`apt-get update failed; check the network and /etc/apt/sources.list.\n${String(error)}`)
  })
  await mustRun('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...missing], { env }).catch(
    (error: unknown) => {
      throw new Error(`apt-get install ${missing.join(' ')} failed; install them by hand.\n${String(error)}`)
    }
  )
  log(`installed ${missing.join(', ')} in ${seconds(started)}`)
}

/** Conductor 3.21 is built for Java 17; older runtimes fail late with a confusing class error. */
async function ensureJava17(log: Log): Promise<void> {
  const result = await runCommand('java', ['-version'])
  const match = /version "(\d+)/.exec(result.output)
  const major = match ? Number(match[1]) : 0
  if (result.code !== 0 || major < 17) {
    throw new Error(
      `Java 17 or newer is required (found: ${lastLines(result.output, 1) || 'none'}); apt-get install openjdk-17-jre-headless`
    )
  }
  log(`java ${major} found`)
}

async function ensureConductor(log: Log): Promise<string> {
  const jar = conductorJarPath()
  if (existsSync(jar) && statSync(jar).size > 0) {
    log(`Conductor ${CONDUCTOR_VERSION} already in cache`)
    return jar
  }
  const started = Date.now()
  log(`downloading Conductor ${CONDUCTOR_VERSION} boot jar (~400 MB) from Maven Central…`)
  const partial = join(cacheDir(), `.partial-conductor-${process.pid}`)
  await mavenCopy(CONDUCTOR_ARTIFACT, partial)
  mkdirSync(join(cacheDir(), 'conductor'), { recursive: true })
  // Renamed into place only when complete, so an interrupted download is never taken for a jar.
  renameSync(join(partial, `conductor-server-${CONDUCTOR_VERSION}-boot.jar`), jar)
  rmSync(partial, { recursive: true, force: true })
  dropFromMavenRepo('org/conductoross/conductor-server', CONDUCTOR_VERSION)
  log(`Conductor ${CONDUCTOR_VERSION} downloaded in ${seconds(started)}`)
  return jar
}

async function ensureKeycloak(log: Log): Promise<string> {
  const home = keycloakHome()
  if (existsSync(join(home, 'bin', 'kc.sh'))) {
    log(`Keycloak ${KEYCLOAK_VERSION} already in cache`)
  } else {
    const started = Date.now()
    log(`downloading Keycloak ${KEYCLOAK_VERSION} (~160 MB) from Maven Central…`)
    const partial = join(cacheDir(), `.partial-keycloak-${process.pid}`)
    await mavenCopy(KEYCLOAK_ARTIFACT, partial)
    await mustRun('unzip', ['-q', `keycloak-quarkus-dist-${KEYCLOAK_VERSION}.zip`], { cwd: partial })
    rmSync(home, { recursive: true, force: true })
    renameSync(join(partial, `keycloak-${KEYCLOAK_VERSION}`), home)
    rmSync(partial, { recursive: true, force: true })
    dropFromMavenRepo('org/keycloak/keycloak-quarkus-dist', KEYCLOAK_VERSION)
    log(`Keycloak ${KEYCLOAK_VERSION} downloaded and unpacked in ${seconds(started)}`)
  }
  await ensureKeycloakBuilt(home, log)
  return home
}

/**
 * `start-dev` re-runs Quarkus' build on every start (tens of seconds of CPU); building once here
 * lets each run use `start --optimized` instead.
 */
async function ensureKeycloakBuilt(home: string, log: Log): Promise<void> {
  const marker = join(home, KEYCLOAK_BUILT_MARKER)
  const options = `${KEYCLOAK_BUILD_OPTIONS.join(' ')}\n`
  // The marker holds the options it was built with: changed options mean a new build.
  if (existsSync(marker) && readFileSync(marker, 'utf8') === options) return
  rmSync(marker, { force: true })
  const started = Date.now()
  log('building Keycloak for quick starts (once)…')
  await mustRun('bash', [join(home, 'bin', 'kc.sh'), 'build', ...KEYCLOAK_BUILD_OPTIONS], {
    cwd: home,
  }).catch((error: unknown) => {
    throw new Error(
      `kc.sh build failed; remove ${home} and rerun node test/engines/install.ts.\n${String(error)}`
    )
  })
  writeFileSync(marker, options)
  log(`Keycloak built in ${seconds(started)}`)
}

async function mavenCopy(artifact: string, outputDirectory: string): Promise<void> {
  rmSync(outputDirectory, { recursive: true, force: true })
  mkdirSync(outputDirectory, { recursive: true })
  const args = [
    '-B',
    '-q',
    `-Dmaven.repo.local=${mavenRepo()}`,
    // Maven's HTTP read timeout is 30 minutes by default: a stalled connection would hang CI.
    '-Dmaven.wagon.rto=120000',
    '-Dmaven.wagon.http.retryHandler.count=3',
    `${DEPENDENCY_PLUGIN}:copy`,
    `-Dartifact=${artifact}`,
    `-DoutputDirectory=${outputDirectory}`,
  ]
  // Run in the cache so a pom.xml in the caller's folder is never picked up.
  let result = await runCommand('mvn', args, { cwd: cacheDir() })
  // One more try: a network hiccup on one of the many small pom downloads should not fail CI.
  if (result.code !== 0) result = await runCommand('mvn', args, { cwd: cacheDir() })
  if (result.code !== 0) {
    rmSync(outputDirectory, { recursive: true, force: true })
    throw new Error(
      `mvn could not fetch ${artifact} from Maven Central; check the network (and proxy settings in ~/.m2/settings.xml), then rerun node test/engines/install.ts.\n${lastLines(result.output, 30)}`
    )
  }
}

/** Half-done downloads of installs that were killed; those of a live install are left alone. */
function removeStalePartials(): void {
  for (const name of readdirSync(cacheDir())) {
    const pid = Number(/^\.partial-\w+-(\d+)$/.exec(name)?.[1])
    if (pid && !processAlive(pid)) rmSync(join(cacheDir(), name), { recursive: true, force: true })
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The copy in the cache is what we use; Maven's own copy would only double the disk used. */
function dropFromMavenRepo(path: string, version: string): void {
  rmSync(join(mavenRepo(), path, version), { recursive: true, force: true })
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  installEngines().catch((error: unknown) => {
    console.error(`[engines] install failed: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  })
}
