#!/usr/bin/env node
/** @module The `flowgate` command line: dispatches to one file per subcommand. */
import { ConfigError } from '../config/sources.ts'
import { configCheckCommand } from './config-check.ts'
import { execCommand } from './exec.ts'
import { serveCommand } from './serve.ts'
import { CONFIG_HELP, MAIN_HELP, UsageError } from './usage.ts'
import { versionCommand } from './version.ts'

const out = (text: string) => process.stdout.write(`${text}\n`)
const err = (text: string) => process.stderr.write(`${text}\n`)

/** Runs a command line; resolves to the exit code, or undefined while a server keeps running. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case undefined:
        throw new UsageError('missing command', MAIN_HELP)
      case '-h':
      case '--help':
      case 'help':
        out(MAIN_HELP)
        return 0
      case '--version':
      case 'version':
        return versionCommand(rest, out)
      case 'serve':
        return await serveCommand(rest, out)
      case 'config': {
        const [sub, ...subArgs] = rest
        if (sub === 'check') return configCheckCommand(subArgs, out)
        if (sub === '-h' || sub === '--help') {
          out(CONFIG_HELP)
          return 0
        }
        throw new UsageError(sub ? `unknown config command '${sub}'` : 'missing config command', CONFIG_HELP)
      }
      case 'exec':
        return await execCommand(rest, out)
      default:
        throw new UsageError(`unknown command '${command}'`, MAIN_HELP)
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      err(`flowgate: ${error.message}`)
      return 2
    }
    if (error instanceof UsageError) {
      err(`flowgate: ${error.message}\n\n${error.help}`)
      return 2
    }
    if (isParseArgsError(error)) {
      err(`flowgate: ${error.message}\n\nRun 'flowgate ${command ?? ''} --help' for usage.`)
      return 2
    }
    err(`flowgate: ${error instanceof Error ? error.message : String(error)}`)
    return 1
  }
}

function isParseArgsError(error: unknown): error is Error {
  return error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')
}

if (import.meta.main ?? process.argv[1] === new URL(import.meta.url).pathname) {
  const code = await main(process.argv.slice(2))
  if (code !== undefined) process.exitCode = code
}
