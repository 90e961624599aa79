/** @module One @hono/node-server listener with a graceful close (drain, then cut at the deadline). */
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from '../lib/logger.ts'

export interface Listener {
  url: string
  /** Stops accepting; in-flight requests finish until graceMs, then their connections are cut. */
  close(graceMs: number): Promise<void>
}

type FetchHandler = Parameters<typeof serve>[0]['fetch']

export async function listen(
  fetch: FetchHandler,
  host: string,
  port: number,
  logger: Logger
): Promise<Listener> {
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const created = serve({ fetch, hostname: host, port }, () => resolve(created))
    created.once('error', reject)
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  let closing: Promise<void> | undefined
  return {
    url: `http://${shown}:${address.port}`,
    close(graceMs) {
      closing ??= (async () => {
        const done = new Promise<void>((resolve) => server.close(() => resolve()))
        // Keep-alive sockets would hold close() open until their timeout: close each one as soon
        // as its in-flight request is answered.
        const closeIdle = () => {
          if ('closeIdleConnections' in server) server.closeIdleConnections()
        }
        closeIdle()
        const sweeper = setInterval(closeIdle, 50)
        let timer: ReturnType<typeof setTimeout> | undefined
        const deadline = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), graceMs)
        })
        const outcome = await Promise.race([done.then(() => 'closed' as const), deadline])
        clearTimeout(timer)
        clearInterval(sweeper)
        if (outcome === 'timeout' && 'closeAllConnections' in server) {
          logger.warn('shutdown grace period over; closing open connections', { graceMs })
          server.closeAllConnections()
        }
      })()
      return closing
    },
  }
}
