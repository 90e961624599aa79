/** @module The one zod schema of flowgate's settings: the sections, cross-setting rules, the Config type. */
import { z } from 'zod'
import { auth } from './sections/auth.ts'
import { conductor } from './sections/conductor.ts'
import { log, server } from './sections/core.ts'
import { editor } from './sections/editor.ts'
import { exec } from './sections/exec.ts'
import { plugins } from './sections/plugins.ts'
import { scheduler } from './sections/scheduler.ts'
import { taskProxy } from './sections/task-proxy.ts'
import { worker } from './sections/worker.ts'

export { type SettingMeta, settingMeta } from './setting.ts'

/** The whole configuration; every section defaults to its defaults. */
export const configSchema = z
  .strictObject({
    server: server.default(() => server.parse({})),
    log: log.default(() => log.parse({})),
    auth: auth.default(() => auth.parse({})),
    conductor: conductor.default(() => conductor.parse({})),
    task_proxy: taskProxy.default(() => taskProxy.parse({})),
    scheduler: scheduler.default(() => scheduler.parse({})),
    exec: exec.default(() => exec.parse({})),
    worker: worker.default(() => worker.parse({})),
    plugins: plugins.default(() => plugins.parse({})),
    editor: editor.default(() => editor.parse({})),
  })
  .superRefine((config, ctx) => {
    // Anonymous access must never be reachable from another machine.
    if (config.auth.mode === 'none' && !isLoopback(config.server.host)) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'mode'],
        message: `mode = "none" (anonymous) needs a loopback server.host (127.0.0.1, ::1, localhost), not ${config.server.host}`,
      })
    }
    const proxy = config.task_proxy
    if (proxy.enabled && proxy.tenant_source === 'keycloak') {
      for (const key of ['keycloak_url', 'keycloak_password'] as const) {
        if (proxy[key] === undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['task_proxy', key],
            message: `tenant_source = "keycloak" needs task_proxy.${key}`,
          })
        }
      }
    }
  })

/** Whether a listener address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
}

export type Config = z.output<typeof configSchema>
export type SectionName = keyof Config

/** The sections and their leaf schemas, for env mapping, docs and redaction. */
export const SECTIONS = {
  server,
  log,
  auth,
  conductor,
  task_proxy: taskProxy,
  scheduler,
  exec,
  worker,
  plugins,
  editor,
} as const satisfies Record<SectionName, z.ZodObject>

/** The leaf schema of `section.key`, if there is such a setting. */
export function settingSchema(section: string, key: string): z.ZodType | undefined {
  const shape = (SECTIONS as Record<string, z.ZodObject | undefined>)[section]?.shape
  return shape && Object.hasOwn(shape, key) ? shape[key] : undefined
}
