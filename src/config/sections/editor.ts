/** @module Settings of [editor]: the script editor and its language servers. */
import { z } from 'zod'
import { setting } from '../setting.ts'

export const editor = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve the script editor at /editor and language servers at /lsp.',
  }),
})
