/** @module Settings of [scheduler]: where the gateway's schedule routes keep schedules. */
import { z } from 'zod'
import { httpUrl, setting } from '../setting.ts'

export const scheduler = z.strictObject({
  url: setting(httpUrl().optional(), {
    description: 'A schellar-compatible schedule service; schedule routes go there when set.',
  }),
})
