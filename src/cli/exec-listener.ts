/**
 * @module The listener of `flowgate exec serve`: Bun.serve when Bun runs it, node:http (through
 * @hono/node-server) elsewhere. On Bun, node:http is an emulation: a short command's request spent
 * about 40% of the server's CPU in its socket layer.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'

type Fetch = (request: Request) => Response | Promise<Response>

export interface ExecListener {
  port: number
  /** Stops accepting; resolves once the open requests have been answered. */
  close(): Promise<void>
  /** Closes connections that carry no request. */
  closeIdle(): void
  /** Closes every connection, requests in flight included. */
  closeAll(): void
}

/** The part of Bun's API used here (flowgate's Node type-check has no Bun types). */
interface BunServe {
  serve(options: { hostname: string; port: number; fetch: Fetch; maxRequestBodySize: number }): {
    port: number
    stop(closeActiveConnections?: boolean): Promise<void>
  }
}

export async function listenExec(
  fetch: Fetch,
  host: string,
  port: number,
  bodyLimit: number
): Promise<ExecListener> {
  const bun = (globalThis as { Bun?: BunServe }).Bun
  if (bun) {
    // Bun's idle timeout (10 s) closes idle connections only, not one waiting for a long run (tested).
    const server = bun.serve({
      hostname: host,
      port,
      fetch,
      maxRequestBodySize: bodyLimit + 1,
    })
    return {
      port: server.port,
      close: () => server.stop(false),
      closeIdle: () => {},
      closeAll: () => void server.stop(true),
    }
  }
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const created = serve({ fetch, hostname: host, port }, () => resolve(created))
    created.once('error', reject)
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    closeIdle: () => {
      if ('closeIdleConnections' in server) server.closeIdleConnections()
    },
    closeAll: () => {
      if ('closeAllConnections' in server) server.closeAllConnections()
    },
  }
}
