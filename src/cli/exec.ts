/**
 * @module `flowgate exec serve`: the httpexec-compatible server on its own — `POST /<command>`
 * on exec.serve_port (8000, where httpexec usually ran under hypercorn) — with flowgate's
 * hardening, `/healthz` and `/metrics`, and without the Conductor gateway's routes (which would
 * shadow commands named like them). Drains on SIGTERM/SIGINT and kills running commands.
 */
import { parseArgs } from 'node:util'
import { createApp } from '../app.ts'
import type { ConfigFlag } from '../config/resolve.ts'
import type { AppDeps } from '../env.ts'
import { mountExec } from '../node/exec/index.ts'
import { createLogger } from '../ops/logger.ts'
import { detectCapabilities } from '../runtime/capabilities.ts'
import { loadConfig } from '../runtime/load-config.ts'
import { CONFIG_OPTIONS, configFlags } from './config-flags.ts'
import { listenExec } from './exec-listener.ts'
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
  const { values } = parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false })
  if (values.help) {
    out(EXEC_HELP)
    return 0
  }
  const { port, ...shared } = values
  const flags: ConfigFlag[] = configFlags(shared)
  if (port !== undefined) flags.push({ name: '--port', section: 'exec', key: 'serve_port', value: port })
  if (values.root !== undefined)
    flags.push({ name: '--root', section: 'exec', key: 'root', value: values.root })
  if (values['follow-links']) {
    flags.push({ name: '--follow-links', section: 'exec', key: 'follow_links', value: 'true' })
  }
  const loaded = loadConfig({ ...(values.config !== undefined ? { configPath: values.config } : {}), flags })
  const { config } = loaded
  const logger = createLogger({ level: config.log.level })
  const deps: AppDeps = { config, logger, capabilities: detectCapabilities() }
  const flowgate = createApp(deps, { gateway: false })
  const exec = mountExec(flowgate, deps, { prefix: '', host: config.server.host })
  const server = await listenExec(flowgate.app.fetch, {
    host: config.server.host,
    port: config.exec.serve_port,
    logger,
    settings: config.server,
  })
  logger.info('listening', { url: `http://${config.server.host}:${server.port}`, mode: 'exec serve' })

  let stopping = false
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info('shutting down', { signal })
    const closed = server.drain()
    // Running commands are killed as groups; their requests then answer and the server closes.
    const grace = setTimeout(() => {
      void exec.stop()
      server.closeAll()
    }, config.server.shutdown_grace_ms)
    void closed
      .then(() => exec.stop())
      .then(() => {
        clearTimeout(grace)
        logger.info('stopped')
        process.exit(0)
      })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return undefined
}
