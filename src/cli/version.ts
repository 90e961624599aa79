/** @module `flowgate version`. */
import { parseArgs } from 'node:util'
import { VERSION } from '../app.ts'
import { detectCapabilities } from '../runtime/capabilities.ts'
import { VERSION_HELP } from './usage.ts'

export function versionCommand(args: string[], out: (text: string) => void): number {
  const { values } = parseArgs({ args, options: { help: { type: 'boolean', short: 'h' } }, strict: true })
  if (values.help) {
    out(VERSION_HELP)
    return 0
  }
  const { runtime } = detectCapabilities()
  out(
    `flowgate ${VERSION} (${runtime} ${process.versions[runtime === 'other' ? 'node' : runtime] ?? process.version})`
  )
  return 0
}
