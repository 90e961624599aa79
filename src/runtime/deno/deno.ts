/**
 * @module The native Deno entry: serves the portable core with Deno.serve (no node-only modules).
 * Run with `deno run --allow-net --allow-env --allow-read src/runtime/deno/deno.ts`. Configuration comes
 * from FLOWGATE_CONFIG or ./flowgate.toml and the environment.
 */
import { nativeDrain } from '../native-drain.ts'
import { closeNativeOnSignals, nativeApps } from '../native-start.ts'

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

  closeNativeOnSignals({
    logger,
    graceMs: config.server.shutdown_grace_ms,
    drain,
    listeners: [server, proxyServer]
      .filter((listener) => listener !== undefined)
      .map((listener) => ({ stop: () => listener.shutdown() })),
    apps: [flowgate, ...(proxy ? [proxy] : [])],
    onSignal: (signal, handler) => Deno.addSignalListener(signal, handler),
    exit: (code) => Deno.exit(code),
  })
}

start()
