/** @module `flowgate serve`: resolves the configuration, serves, drains on SIGTERM/SIGINT. */
import { parseArgs } from 'node:util'
import { createLogger } from '../ops/logger.ts'
import { loadConfig } from '../runtime/load-config.ts'
import { closeOnSignals, serveNode } from '../runtime/node/node.ts'
import { CONFIG_OPTIONS, configFlags } from './config-flags.ts'
import { SERVE_HELP } from './usage.ts'

export async function serveCommand(args: string[], out: (text: string) => void): Promise<number | undefined> {
  const { values } = parseArgs({ args, options: CONFIG_OPTIONS, strict: true, allowPositionals: false })
  if (values.help) {
    out(SERVE_HELP)
    return 0
  }
  const loaded = loadConfig({
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    flags: configFlags(values),
  })
  const logger = createLogger({ level: loaded.config.log.level })
  if (loaded.file) logger.info('configuration loaded', { file: loaded.file })
  const server = await serveNode({ config: loaded.config, logger })
  closeOnSignals(server, logger)
  return undefined
}
