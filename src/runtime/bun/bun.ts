/**
 * @module The native Bun entry: serves the portable core with Bun.serve (no node-only modules).
 * Run with `bun src/runtime/bun/bun.ts`, or compile with `bun build --compile`. Configuration comes
 * from FLOWGATE_CONFIG or ./flowgate.toml and the environment.
 */

import { bunIdleTimeout } from '../bun-settings.ts'
import { nativeDrain } from '../native-drain.ts'
import { closeNativeOnSignals, nativeApps } from '../native-start.ts'
import { bunPassThrough } from './pass-through.ts'

function start(): void {
  const { config, logger, flowgate, proxy } = nativeApps(process.env, (code) => process.exit(code))
  const drain = nativeDrain()
  const serve = (host: string, port: number, fetch: (request: Request) => Response | Promise<Response>) =>
    Bun.serve({
      hostname: host,
      port,
      fetch: drain.wrap(fetch),
      // Bun hands the body to fetch as a stream, so flowgate's limits refuse what is too large
      // with its problem response; a cap of Bun's own would answer a bare 413 first.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      idleTimeout: bunIdleTimeout(config.server.keep_alive_timeout_ms),
    })
  const server = serve(config.server.host, config.server.port, flowgate.app.fetch)
  logger.info('listening', { url: `http://${server.hostname}:${server.port}`, runtime: 'bun' })
  // The task proxy's body-less pass-through GETs go to the engine over Bun's own sockets.
  const direct = proxy && bunPassThrough(proxy.direct, proxy.logger)
  const proxyFetch = proxy?.app.fetch
  const proxyServer = proxyFetch
    ? serve(
        config.task_proxy.host,
        config.task_proxy.port,
        (request) => direct?.serve(request) ?? proxyFetch(request)
      )
    : undefined
  if (proxyServer)
    logger.info('task proxy listening', { url: `http://${proxyServer.hostname}:${proxyServer.port}` })

  closeNativeOnSignals({
    logger,
    graceMs: config.server.shutdown_grace_ms,
    drain,
    listeners: [server, proxyServer]
      .filter((listener) => listener !== undefined)
      .map((listener) => ({ stop: () => listener.stop(false), cut: () => void listener.stop(true) })),
    apps: [flowgate, ...(proxy ? [proxy] : [])],
    after: () => direct?.close(),
    onSignal: (signal, handler) => void process.on(signal, handler),
    exit: (code) => process.exit(code),
  })
}

start()
