/**
 * @module The worker-facing task proxy as its own Cloudflare Worker (a separate trust zone, like
 * its own listener elsewhere). Tenants come from `[vars]` (static) or Keycloak, loaded on demand
 * by the requests that need them: Workers run no timers between requests.
 */
import { createTaskProxyApp, tenantRegistryFrom } from '../../task-proxy/index.ts'
import { detectCapabilities } from '../capabilities.ts'
import { workerEntry } from './entry.ts'

export default workerEntry((config, logger) =>
  createTaskProxyApp({
    config,
    logger,
    capabilities: detectCapabilities(),
    registry: tenantRegistryFrom(config.task_proxy, logger, undefined, true),
  })
)
