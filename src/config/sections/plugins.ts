/** @module Settings of [plugins]: the plugin runtime. */
import { z } from 'zod'
import { setting } from '../setting.ts'

export const plugins = z.strictObject({
  enabled: setting(z.boolean().default(false), {
    description: 'Serve plugins under /plugins (Node-compatible runtimes).',
  }),
})
