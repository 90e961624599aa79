/** @module The configuration flags `serve` and `config check` share, turned into ConfigFlags. */
import type { ParseArgsConfig } from 'node:util'
import type { ConfigFlag } from '../config/resolve.ts'
import { ConfigError } from '../config/sources.ts'

export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'log-level': { type: 'string' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options']

export const CONFIG_OPTIONS_HELP = `  -c, --config <file>        TOML configuration file (else FLOWGATE_CONFIG, else ./flowgate.toml)
      --host <address>       listener address (server.host)
  -p, --port <port>          listener port (server.port)
      --log-level <level>    debug | info | warn | error | silent (log.level)
      --set <section.key=v>  any setting, repeatable (e.g. --set conductor.url=http://c:8080)
  -h, --help                 this help`

interface ConfigFlagValues {
  host?: string | undefined
  port?: string | undefined
  'log-level'?: string | undefined
  set?: string[] | undefined
}

const SET_PATTERN = /^([a-z_]+)\.([a-z0-9_]+)=(.*)$/s

/** Flags in the order given; later ones win. Throws ConfigError for a malformed --set. */
export function configFlags(values: ConfigFlagValues): ConfigFlag[] {
  const flags: ConfigFlag[] = []
  if (values.host !== undefined)
    flags.push({ name: '--host', section: 'server', key: 'host', value: values.host })
  if (values.port !== undefined)
    flags.push({ name: '--port', section: 'server', key: 'port', value: values.port })
  if (values['log-level'] !== undefined) {
    flags.push({ name: '--log-level', section: 'log', key: 'level', value: values['log-level'] })
  }
  for (const assignment of values.set ?? []) {
    const match = SET_PATTERN.exec(assignment)
    if (!match?.[1] || !match[2]) {
      throw new ConfigError([
        { source: `flag --set ${assignment}`, message: 'expected --set section.key=value' },
      ])
    }
    flags.push({
      name: `--set ${match[1]}.${match[2]}`,
      section: match[1],
      key: match[2],
      value: match[3] ?? '',
    })
  }
  return flags
}
