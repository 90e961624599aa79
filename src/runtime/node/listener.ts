/**
 * @module One @hono/node-server listener with [server]'s timeouts and connection limit, a
 * graceful close (drain with `Connection: close`, then cut at the deadline) and, when its app
 * declares them, WebSocket routes (closed with 1001 on the drain).
 */
import { createServer, type RequestListener, type Server, type ServerOptions } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { serve } from '@hono/node-server'
import type { Config } from '../../config/schema.ts'
import type { Logger } from '../../ops/logger.ts'
import { drainOf } from './drain.ts'
import type { NodeDirect } from './pass-through.ts'
import { isWebSocketUpgrade, type WebSocketUpgrades } from './websocket.ts'

export interface Listener {
  url: string
  port: number
  /** Stops accepting and drains; resolves once every connection has closed. */
  drain(): Promise<void>
  /** Closes every connection, requests in flight included. */
  closeAll(): void
  /** Drains until graceMs, then cuts the connections left. */
  close(graceMs: number): Promise<void>
}

export type ListenerSettings = Pick<
  Config['server'],
  'headers_timeout_ms' | 'request_timeout_ms' | 'keep_alive_timeout_ms' | 'max_connections'
>

export interface ListenOptions {
  host: string
  port: number
  logger: Logger
  settings: ListenerSettings
  /** Requests it serves itself never reach `fetch` (the task proxy's direct pass-through). */
  direct?: NodeDirect
  /**
   * Answer a client that half-closes (socket.end() after its request), as httpexec does. Off, a
   * client's end of input is taken as its leaving (as node:http and nginx do): the request's
   * signal fires, so a long poll's engine call or a command is cut when its client is gone; a
   * half-close cannot be told apart from a close until an answer is written.
   */
  halfOpen?: boolean
  /** The app's WebSocket routes (webSocketUpgrades); without them no upgrade is taken. */
  websockets?: WebSocketUpgrades
}

type FetchHandler = Parameters<typeof serve>[0]['fetch']

export async function listen(fetch: FetchHandler, options: ListenOptions): Promise<Listener> {
  const { host, port, logger, settings, direct, halfOpen = false, websockets } = options
  let drain: ReturnType<typeof drainOf> | undefined
  const create = ((serverOptions: ServerOptions, listener: RequestListener) => {
    const created = createServer(serverOptions, (req, res) => {
      drain?.track(req, res)
      if (!direct?.(req, res)) listener(req, res)
    })
    // node:http's own (undocumented) switch: with it a request whose client half-closed is answered.
    ;(created as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = halfOpen
    if (settings.max_connections > 0) created.maxConnections = settings.max_connections
    drain = drainOf(created)
    if (websockets) {
      created.on('upgrade', (req, socket, head) => {
        drain?.release(socket as Socket)
        websockets.upgrade(req, socket, head)
      })
    }
    return created
  }) as typeof createServer
  const server = await new Promise<Server>((resolve, reject) => {
    const created = serve(
      {
        fetch,
        hostname: host,
        port,
        serverOptions: upgradeOptions(serverOptions(settings), websockets),
        createServer: create,
      },
      () => resolve(created as Server)
    )
    created.once('error', reject)
  })
  const drained = drain
  if (!drained) throw new Error('the adapter did not create its server with createServer')
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let draining: Promise<void> | undefined
  let closing: Promise<void> | undefined
  const listener: Listener = {
    url: `http://${shown}:${address.port}`,
    port: address.port,
    drain() {
      // The close frames go out first; the drain then waits for the sockets' close handshakes.
      websockets?.goAway()
      draining ??= drained.start().finally(() => drained.stop())
      return draining
    },
    closeAll() {
      drained.stop()
      websockets?.terminate()
      server.closeAllConnections()
    },
    close(graceMs) {
      closing ??= (async () => {
        let timer: ReturnType<typeof setTimeout> | undefined
        const deadline = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), graceMs)
        })
        const outcome = await Promise.race([listener.drain().then(() => 'closed' as const), deadline])
        clearTimeout(timer)
        if (outcome === 'timeout') {
          logger.warn('shutdown grace period over; closing open connections', { graceMs })
          listener.closeAll()
        }
      })()
      return closing
    },
  }
  return listener
}

/**
 * With WebSocket routes, only `Upgrade: websocket` requests are taken as upgrades; others (h2c)
 * stay ordinary requests, as without an upgrade listener. node:http reads this from 22.21 on;
 * 22.18 to 22.20 ignore it, and the upgrade listener refuses those with 400.
 */
function upgradeOptions(options: ServerOptions, websockets: WebSocketUpgrades | undefined): ServerOptions {
  if (!websockets) return options
  return { ...options, shouldUpgradeCallback: isWebSocketUpgrade } as ServerOptions
}

/** node:http's options for [server]'s timeouts (0 = no limit, as node:http reads it). */
export function serverOptions(settings: ListenerSettings): ServerOptions {
  const request = settings.request_timeout_ms
  // node:http refuses a header timeout longer than the request timeout.
  const headers = request > 0 ? Math.min(settings.headers_timeout_ms, request) : settings.headers_timeout_ms
  const limits = [headers, request].filter((ms) => ms > 0)
  return {
    headersTimeout: headers,
    requestTimeout: request,
    keepAliveTimeout: settings.keep_alive_timeout_ms,
    // How often node:http looks for requests over their timeout (default 30 s, which a timeout
    // is overrun by).
    connectionsCheckingInterval: Math.min(2_000, Math.max(50, Math.floor(Math.min(...limits, 8_000) / 4))),
  }
}
