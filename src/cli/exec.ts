/**
 * @module `flowgate exec serve`: the httpexec-compatible server on its own — `POST /<command>`
 * on exec.serve_port (8000, where httpexec usually ran under hypercorn) — with flowgate's
 * hardening, `/healthz` and `/metrics`, and without the Conductor gateway's routes (which would
 * shadow commands named like them). Drains on SIGTERM/SIGINT and kills running commands.
 */
import type { ConfigFlag } from '../config/resolve.ts'
import { createLogger } from '../ops/logger.ts'
import { closeOnSignals, serveExec } from '../runtime/node/node.ts'
import { parseCommand } from './command.ts'
import { CONFIG_OPTIONS } from './config-flags.ts'
import { UsageError } from './usage.ts'

export const EXEC_HELP = `Usage: flowgate exec serve [options]

Serves the httpexec API at POST /<command path> (commands under exec.root, or the exec.commands
allow-list), hardened: validation before anything runs, a minimal environment, timeouts, output
caps, concurrency limits, auth (exec.auth). httpexec's HTTPEXEC_EXEC_ROOT, HTTPEXEC_FOLLOW_LINKS
and HTTPEXEC_CONFIG_PATH are honoured. See docs/EXEC.md.

Options:
  -c, --config <file>        TOML configuration file (else FLOWGATE_CONFIG, else ./flowgate.toml)
      --host <address>       listener address (server.host, default 127.0.0.1)
  -p, --port <port>          listener port (exec.serve_port, default 8000)
      --root <dir>           directory of runnable commands (exec.root)
      --follow-links         let the last path component be a link (exec.follow_links)
      --log-level <level>    debug | info | warn | error | silent (log.level)
      --set <section.key=v>  any setting, repeatable (e.g. --set exec.timeout_ms=5000)
  -h, --help                 this help`

const OPTIONS = {
  ...CONFIG_OPTIONS,
  root: { type: 'string' },
  'follow-links': { type: 'boolean' },
} as const

export async function execCommand(args: string[], out: (text: string) => void): Promise<number | undefined> {
  const [sub, ...rest] = args
  if (sub === '-h' || sub === '--help') {
    out(EXEC_HELP)
    return 0
  }
  if (sub !== 'serve') {
    throw new UsageError(sub ? `unknown exec command '${sub}'` : 'missing exec command', EXEC_HELP)
  }
  const parsed = parseCommand(
    rest,
    {
      options: OPTIONS,
      help: EXEC_HELP,
      port: { section: 'exec', key: 'serve_port' },
      flags: (values) => {
        const flags: ConfigFlag[] = []
        if (values.root !== undefined)
          flags.push({ name: '--root', section: 'exec', key: 'root', value: values.root })
        if (values['follow-links'])
          flags.push({ name: '--follow-links', section: 'exec', key: 'follow_links', value: 'true' })
        return flags
      },
    },
    out
  )
  if (!parsed) return 0
  const { config } = parsed.loaded
  const logger = createLogger({ level: config.log.level })
  const started = await serveExec(config, logger)
  logger.info('serving', { url: started.urls.exec, mode: 'exec serve' })
  closeOnSignals(started, logger)
  return undefined
}
