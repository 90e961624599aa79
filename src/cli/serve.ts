/** @module `flowgate serve`: resolves the configuration, serves, drains on SIGTERM/SIGINT. */
import { createLogger } from '../ops/logger.ts'
import { closeOnSignals, serveNode } from '../runtime/node/node.ts'
import { parseCommand } from './command.ts'
import { CONFIG_OPTIONS } from './config-flags.ts'
import { SERVE_HELP } from './usage.ts'

export async function serveCommand(args: string[], out: (text: string) => void): Promise<number | undefined> {
  const parsed = parseCommand(args, { options: CONFIG_OPTIONS, help: SERVE_HELP }, out)
  if (!parsed) return 0
  const { loaded } = parsed
  const logger = createLogger({ level: loaded.config.log.level })
  if (loaded.file) logger.info('configuration loaded', { file: loaded.file })
  const server = await serveNode({ config: loaded.config, logger })
  closeOnSignals(server, logger)
  return undefined
}
