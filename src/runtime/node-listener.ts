/** @module One @hono/node-server listener with a graceful close (drain, then cut at the deadline). */
import { createServer, type RequestListener, type ServerOptions } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { Logger } from '../lib/logger.ts'
import type { NodeDirect } from './node-pass-through.ts'

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
  logger: Logger,
  /** Requests it serves itself never reach `fetch` (the task proxy's direct pass-through). */
  direct?: NodeDirect
): Promise<Listener> {
  const withDirect = direct
    ? // The adapter's own listener for everything the direct path leaves.
      (((options: ServerOptions, listener: RequestListener) =>
        createServer(options, (req, res) => {
          if (!direct(req, res)) listener(req, res)
        })) as typeof createServer)
    : undefined
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const created = serve(
      { fetch, hostname: host, port, ...(withDirect ? { createServer: withDirect } : {}) },
      () => resolve(created)
    )
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
