/**
 * @module Makes Conductor start in seconds instead of a minute: the boot jar extracted once, and a
 * class-data-sharing (CDS) archive recorded by one training start. Both live in the cache; when
 * either is missing or the JVM changed, Conductor still starts, only slower.
 */
import { existsSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { lastLines, runCommand } from './commands.ts'
import { freePort } from './free-port.ts'
import { conductorAppJar, conductorJarPath } from './paths.ts'

type Log = (line: string) => void

/** A CDS archive only fits the exact JVM build that wrote it, so the file name carries it. */
export async function cdsArchivePath(): Promise<string> {
  const result = await runCommand('java', ['-XshowSettings:properties', '-version'])
  const version = /java\.vm\.version = (\S+)/.exec(result.output)?.[1] ?? 'unknown'
  return join(dirname(conductorAppJar()), `conductor-${version.replace(/[^\w.-]/g, '_')}.jsa`)
}

/** Extracts the jar and trains the archive when missing; failures only cost start-up speed. */
export async function ensureConductorStartupCache(
  log: Log,
  trainingProperties: Record<string, string>
): Promise<void> {
  const appJar = conductorAppJar()
  if (!existsSync(appJar)) {
    const started = Date.now()
    log('extracting the Conductor jar for faster starts…')
    const partial = `${dirname(appJar)}.partial-${process.pid}`
    rmSync(partial, { recursive: true, force: true })
    const result = await runCommand(
      'java',
      ['-Djarmode=tools', '-jar', conductorJarPath(), 'extract', '--destination', partial],
      { timeoutMs: 300_000 }
    )
    if (result.code !== 0) {
      rmSync(partial, { recursive: true, force: true })
      log(`warning: could not extract the Conductor jar; starts stay slow:\n${lastLines(result.output, 10)}`)
      return
    }
    rmSync(dirname(appJar), { recursive: true, force: true })
    renameSync(partial, dirname(appJar))
    log(`extracted in ${seconds(started)}`)
  }
  const archive = await cdsArchivePath()
  if (existsSync(archive)) {
    log('Conductor start-up archive already in cache')
    return
  }
  const started = Date.now()
  log('recording a start-up archive with one Conductor start (once, up to a few minutes)…')
  const partial = `${archive}.partial-${process.pid}`
  const port = await freePort()
  const result = await runCommand(
    'java',
    [
      `-XX:ArchiveClassesAtExit=${partial}`,
      // Spring Boot stops right after the context is ready: the classes a start needs are loaded.
      '-Dspring.context.exit=onRefresh',
      '-Xmx1g',
      '-jar',
      appJar,
      `--server.port=${port}`,
      ...Object.entries(trainingProperties).map(([key, value]) => `--${key}=${value}`),
    ],
    { cwd: dirname(appJar), timeoutMs: 600_000 }
  )
  if (result.code !== 0 || !existsSync(partial)) {
    rmSync(partial, { force: true })
    log(
      `warning: no start-up archive (exit ${result.code}); starts stay slower:\n${lastLines(result.output, 10)}`
    )
    return
  }
  renameSync(partial, archive)
  log(`start-up archive recorded in ${seconds(started)}`)
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`
}
