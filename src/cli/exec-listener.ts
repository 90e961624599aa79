/**
 * @module The listener of `flowgate exec serve`: Bun.serve when Bun runs it, node:http (through
 * @hono/node-server) elsewhere. On Bun, node:http is an emulation: a short command's request spent
 * about 40% of the server's CPU in its socket layer.
 */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { streamFormat } from '../node/exec/event-stream.ts'

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
  }): BunServer
}

export async function listenExec(fetch: Fetch, host: string, port: number): Promise<ExecListener> {
  const bun = (globalThis as { Bun?: BunServe }).Bun
  if (bun) {
    const server = bun.serve({
      hostname: host,
      port,
      // Bun's idle timeout (10 s) would cut a streamed reply whose command is silent that long
      // (tested); no limit for those requests.
      fetch: (request, self) => {
        if (streamFormat(request.headers.get('accept') ?? undefined)) self.timeout(request, 0)
        return fetch(request)
      },
      // Bun hands the body to fetch as a stream, so flowgate's limits refuse what is too large
      // with its problem response; Bun's own cap would answer a bare 413 first.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
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
