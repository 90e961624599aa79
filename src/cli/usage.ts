/** @module Help texts and the usage error every command shares (stderr, exit 2). */
import { CONFIG_OPTIONS_HELP } from './config-flags.ts'

export const MAIN_HELP = `flowgate — gateway, command execution, script worker, plugins and script editor for
Conductor OSS and Camunda 7.

Usage: flowgate <command> [options]

Commands:
  serve          serve the API (user-facing listener, default :8088)
  config check   validate the configuration and print it, secrets redacted
  exec serve     serve only the command execution API, httpexec-compatible (at /<command>)
  version        print the version and runtime

Run 'flowgate <command> --help' for a command's options.`

export const SERVE_HELP = `Usage: flowgate serve [options]

Serves the gateway and every enabled module until SIGTERM/SIGINT, then drains in-flight requests
for server.shutdown_grace_ms and exits 0.

Options:
${CONFIG_OPTIONS_HELP}`

export const CONFIG_HELP = `Usage: flowgate config check [options] [--json]

Resolves the configuration (defaults < file < environment < flags), validates it and prints it
with each value's source; secrets are redacted. Exits 2 naming every bad value's source.

Options:
${CONFIG_OPTIONS_HELP}
      --json                 print JSON instead of annotated TOML`

export const VERSION_HELP = `Usage: flowgate version

Prints the flowgate version and the runtime it runs on.`

/** Thrown for a command line flowgate cannot run; main prints it and exits 2. */
export class UsageError extends Error {
  readonly help: string
  constructor(message: string, help: string) {
    super(message)
    this.name = 'UsageError'
    this.help = help
  }
}
