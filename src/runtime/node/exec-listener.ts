/**
 * @module The listener of `flowgate exec serve`: Bun.serve when Bun runs it, node:http (through
 * @hono/node-server, with [server]'s timeouts, connection limit and drain) elsewhere. On Bun,
 * node:http is an emulation whose socket layer cost a short command's request much of its CPU
 * (docs/PERFORMANCE.md).
 */

import { streamFormat } from '../../node/exec/event-stream.ts'
import type { Logger } from '../../ops/logger.ts'
import { bunIdleTimeout } from '../bun-settings.ts'
import { nativeDrain } from '../native-drain.ts'
import { type ListenerSettings, listen } from './listener.ts'

type Fetch = (request: Request) => Response | Promise<Response>

export interface ExecListener {
  port: number
  /**
   * Stops accepting and drains (answers say `Connection: close`, idle connections are closed);
   * resolves once the open requests have been answered.
   */
  drain(): Promise<void>
  /** Closes every connection, requests in flight included. */
  closeAll(): void
}

/** The part of Bun's API used here (flowgate's Node type-check has no Bun types). */
interface BunServer {
  port: number
  stop(closeActiveConnections?: boolean): Promise<void>
  /** Seconds a request's connection may stay silent; 0 = no limit. */
  timeout(request: Request, seconds: number): void
}
interface BunServe {
  serve(options: {
    hostname: string
    port: number
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>
    maxRequestBodySize: number
    idleTimeout?: number
  }): BunServer
}

export interface ExecListenOptions {
  host: string
  port: number
  logger: Logger
  settings: ListenerSettings
}

export async function listenExec(fetch: Fetch, options: ExecListenOptions): Promise<ExecListener> {
  const { host, port, logger, settings } = options
  const bun = (globalThis as { Bun?: BunServe }).Bun
  if (bun) {
    const drain = nativeDrain()
    const idleTimeout = bunIdleTimeout(settings.keep_alive_timeout_ms)
    const server = bun.serve({
      hostname: host,
      port,
      // Bun's idle timeout would cut a streamed reply whose command is silent that long (tested);
      // no limit for those requests.
      fetch: drain.wrap((request: Request, self: BunServer) => {
        if (streamFormat(request.headers.get('accept') ?? undefined)) self.timeout(request, 0)
        return fetch(request)
      }),
      // Bun hands the body to fetch as a stream, so flowgate's limits refuse what is too large
      // with its problem response; Bun's own cap would answer a bare 413 first.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    })
    return {
      port: server.port,
      drain: () => drain.begin().then(() => server.stop(false)),
      closeAll: () => void server.stop(true),
    }
  }
  // httpexec (under hypercorn) answers a client that half-closes after its request.
  const listener = await listen(fetch, { host, port, logger, settings, halfOpen: true })
  return { port: listener.port, drain: () => listener.drain(), closeAll: () => listener.closeAll() }
}
