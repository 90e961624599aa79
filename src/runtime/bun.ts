/**
 * @module The native Bun entry: serves the portable core with Bun.serve (no node-only modules).
 * Run with `bun src/runtime/bun.ts`, or compile with `bun build --compile`. Configuration comes
 * from FLOWGATE_CONFIG or ./flowgate.toml and the environment.
 */
import { bunPassThrough } from './bun-pass-through.ts'
import { nativeApps } from './native-start.ts'

function start(): void {
  const { config, logger, flowgate, proxy } = nativeApps(process.env, (code) => process.exit(code))
  const serve = (host: string, port: number, fetch: (request: Request) => Response | Promise<Response>) =>
    // Bun hands the body to fetch as a stream, so flowgate's limits refuse what is too large with
    // its problem response; a cap of Bun's own would answer a bare 413 first.
    Bun.serve({ hostname: host, port, fetch, maxRequestBodySize: Number.MAX_SAFE_INTEGER })
  const server = serve(config.server.host, config.server.port, flowgate.app.fetch)
  logger.info('listening', { url: `http://${server.hostname}:${server.port}`, runtime: 'bun' })
  // The task proxy's body-less pass-through GETs go to the engine over Bun's own sockets.
  const direct = proxy && bunPassThrough(proxy.app.direct, proxy.app.logger)
  const proxyFetch = proxy?.app.app.fetch
  const proxyServer = proxyFetch
    ? serve(
        config.task_proxy.host,
        config.task_proxy.port,
        (request) => direct?.serve(request) ?? proxyFetch(request)
      )
    : undefined
  if (proxyServer)
    logger.info('task proxy listening', { url: `http://${proxyServer.hostname}:${proxyServer.port}` })

  let stopping = false
  const onSignal = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    logger.info('shutting down', { signal })
    const deadline = new Promise((resolve) => setTimeout(resolve, config.server.shutdown_grace_ms))
    proxy?.registry.stop()
    Promise.race([Promise.all([server.stop(false), proxyServer?.stop(false)]), deadline]).then(() => {
      server.stop(true)
      proxyServer?.stop(true)
      direct?.close()
      logger.info('stopped')
      process.exit(0)
    })
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
}

start()
