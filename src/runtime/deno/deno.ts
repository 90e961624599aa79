/**
 * @module The native Deno entry: serves the portable core with Deno.serve (no node-only modules).
 * Run with `deno run --allow-net --allow-env --allow-read src/runtime/deno/deno.ts`. Configuration comes
 * from FLOWGATE_CONFIG or ./flowgate.toml and the environment.
 */
import { nativeDrain } from '../native-drain.ts'
import { nativeApps } from '../native-start.ts'

function start(): void {
  const { config, logger, flowgate, proxy } = nativeApps(Deno.env.toObject(), (code) => Deno.exit(code))
  const drain = nativeDrain()
  const serve = (
    host: string,
    port: number,
    fetch: (request: Request) => Response | Promise<Response>,
    label: string
  ) =>
    Deno.serve(
      {
        hostname: host,
        port,
        onListen: ({ hostname, port }) =>
          logger.info(label, { url: `http://${hostname}:${port}`, runtime: 'deno' }),
      },
      drain.wrap(fetch)
    )
  const server = serve(config.server.host, config.server.port, flowgate.app.fetch, 'listening')
  const proxyServer = proxy
    ? serve(config.task_proxy.host, config.task_proxy.port, proxy.app.fetch, 'task proxy listening')
    : undefined

  let stopping = false
  const onSignal = (signal: Deno.Signal) => {
    if (stopping) Deno.exit(1)
    stopping = true
    logger.info('shutting down', { signal })
    const deadline = new Promise((resolve) => setTimeout(resolve, config.server.shutdown_grace_ms))
    void proxy?.stop()
    // shutdown() stops accepting, closes idle connections and waits for requests in flight.
    const stopped = drain.begin().then(() => Promise.all([server.shutdown(), proxyServer?.shutdown()]))
    Promise.race([stopped, deadline]).then(() => {
      logger.info('stopped')
      Deno.exit(0)
    })
  }
  Deno.addSignalListener('SIGTERM', () => onSignal('SIGTERM'))
  Deno.addSignalListener('SIGINT', () => onSignal('SIGINT'))
}

start()
