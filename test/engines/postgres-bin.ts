/** @module Finds PostgreSQL's server programs: on PATH, or where Debian installs them. */
import { existsSync, readdirSync, realpathSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { which } from './commands.ts'

/** Debian keeps initdb/pg_ctl/postgres in /usr/lib/postgresql/<major>/bin, off PATH. */
const DEBIAN_ROOT = '/usr/lib/postgresql'

/** The folder holding initdb, postgres and pg_isready, or undefined when PostgreSQL is missing. */
export function postgresBinDir(): string | undefined {
  const onPath = which('initdb')
  if (onPath) {
    const dir = dirname(realpathSync(onPath))
    if (existsSync(join(dir, 'postgres'))) return dir
  }
  if (!existsSync(DEBIAN_ROOT)) return undefined
  const majors = readdirSync(DEBIAN_ROOT)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a))
  for (const major of majors) {
    const dir = join(DEBIAN_ROOT, major, 'bin')
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres'))) return dir
  }
  return undefined
}
