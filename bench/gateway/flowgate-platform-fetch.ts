/**
 * @module flowgate on Node as serveNode builds it, but forwarding with the platform's fetch
 * (undici) instead of the node:http forwarder: the same-run baseline that shows what the
 * forwarder is worth. Configured by the environment like the real entry.
 *   node bench/gateway/flowgate-platform-fetch.ts
 */
import { createApp, createTaskProxyApp } from '../../src/app.ts'
import { createLogger } from '../../src/lib/logger.ts'
import { tenantRegistryFrom } from '../../src/lib/tenant-registry.ts'
import { detectCapabilities } from '../../src/runtime/capabilities.ts'
import { loadConfig } from '../../src/runtime/load-config.ts'
import { listen } from '../../src/runtime/node-listener.ts'

const { config } = loadConfig()
const logger = createLogger({ level: config.log.level })
const deps = { config, logger, capabilities: detectCapabilities() }
const registry = tenantRegistryFrom(config.task_proxy, logger)
await listen(createApp(deps).app.fetch, config.server.host, config.server.port, logger)
await listen(
  createTaskProxyApp({ ...deps, registry }).app.fetch,
  config.task_proxy.host,
  config.task_proxy.port,
  logger
)
