/** @module Where engine downloads and per-run files live: a cache outside the repository. */
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { CONDUCTOR_VERSION, KEYCLOAK_VERSION } from './versions.ts'

/** `FLOWGATE_ENGINE_CACHE`, else `~/.cache/flowgate/engines`; never inside the work tree. */
export function cacheDir(): string {
  return process.env.FLOWGATE_ENGINE_CACHE ?? join(homedir(), '.cache', 'flowgate', 'engines')
}

export function conductorJarPath(): string {
  return join(cacheDir(), 'conductor', `conductor-server-${CONDUCTOR_VERSION}-boot.jar`)
}

/** The boot jar extracted by Spring Boot's jar tools: starts faster and can use a CDS archive. */
export function conductorAppJar(): string {
  return join(
    cacheDir(),
    'conductor',
    `app-${CONDUCTOR_VERSION}`,
    `conductor-server-${CONDUCTOR_VERSION}-boot.jar`
  )
}

export function keycloakHome(): string {
  return join(cacheDir(), `keycloak-${KEYCLOAK_VERSION}`)
}

/** Maven's local repository, kept in the cache so an override of the cache makes a cold install. */
export function mavenRepo(): string {
  return join(cacheDir(), 'm2')
}

const KEEP_RUNS = 10

/** A fresh folder for one run's logs; older runs beyond the last few are removed. */
export function newRunDir(label: string): string {
  const runs = join(cacheDir(), 'runs')
  mkdirSync(runs, { recursive: true })
  const old = readdirSync(runs).sort()
  for (const name of old.slice(0, Math.max(0, old.length - KEEP_RUNS + 1))) {
    rmSync(join(runs, name), { recursive: true, force: true })
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const dir = join(runs, `${stamp}-${label}-${process.pid}`)
  mkdirSync(dir, { recursive: true })
  return dir
}
