/**
 * @module The task proxy module and its public face: workers of shared GLOBAL___ task types poll
 * through its own listener (a separate trust zone, no identity), fanned out over every tenant's
 * domain. Entries take what they need from here, never from the files behind it.
 */
import { createApp } from '../app.ts'
import { type ComposedApp, composeApp } from '../compose.ts'
import type { Config } from '../config/schema.ts'
import type { AppDeps } from '../env.ts'
import type { FlowgateModule, SharedServices } from '../module.ts'
import { type DirectPassThrough, directPassThrough } from './direct-pass.ts'
import { taskProxy } from './task-proxy.ts'
import { type TenantRegistry, tenantRegistryFrom } from './tenant-registry.ts'

export { type DirectPassThrough, passesDirectly, plainHost, rawTarget } from './direct-pass.ts'
export { type TenantRegistry, tenantRegistryFrom } from './tenant-registry.ts'

export type TaskProxyOptions = Readonly<Pick<Config, 'task_proxy' | 'conductor' | 'log'>>

/** The module; `registry` is built from [task_proxy] unless given (tests, the Workers entry). */
export function taskProxyModule(
  registry?: TenantRegistry,
  onDirect?: (direct: DirectPassThrough) => void
): FlowgateModule<TaskProxyOptions> {
  return {
    name: 'task-proxy',
    prefix: '',
    enabled: (config) => config.task_proxy.enabled,
    options: (config) => ({ task_proxy: config.task_proxy, conductor: config.conductor, log: config.log }),
    register(ctx) {
      const config = ctx.options
      const tenants = registry ?? tenantRegistryFrom(ctx.options.task_proxy, ctx.logger)
      ctx.readiness.register('tenants', async () => {
        await tenants.prepare?.()
        if (!tenants.ready()) throw new Error('the tenant list is not loaded yet')
      })
      ctx.onStop(() => tenants.stop())
      ctx.router.route('/', taskProxy({ config, registry: tenants, upstream: ctx.services.conductor }))
      // Body-less pass-through requests skip hono's dispatch, with the same rules (direct-pass.ts).
      const direct = directPassThrough({
        config,
        logger: ctx.requestLogger,
        record: ctx.recordRequest,
        upstream: ctx.services.conductor,
      })
      ctx.intercept(direct)
      onDirect?.(direct)
    },
  }
}

/** The task proxy's listener app, with the direct pass-through runtime entries serve themselves. */
export interface TaskProxyApp extends ComposedApp {
  direct: DirectPassThrough
}

/**
 * The worker-facing app (task_proxy.port). Readiness fails until the tenant list is loaded.
 * @example const proxy = createTaskProxyApp(deps, services); serve(proxy.app.fetch)
 */
export function createTaskProxyApp(
  deps: AppDeps & { registry?: TenantRegistry },
  services?: SharedServices
): TaskProxyApp {
  const flowgate = createApp(deps, { listener: 'task-proxy' })
  let direct: DirectPassThrough | undefined
  const module = taskProxyModule(deps.registry, (made) => {
    direct = made
  })
  const composed = composeApp(flowgate, deps, [module], services)
  if (!direct) throw new Error('task proxy: task_proxy.enabled is false')
  return { ...composed, direct }
}
