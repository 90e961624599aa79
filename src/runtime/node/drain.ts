/**
 * @module The drain of a node:http server on shutdown: every answer written while draining says
 * `Connection: close` (node:http then closes its connection once the answer is written), and a
 * connection that carries no request and has received nothing for IDLE_SETTLE_MS is closed, so a
 * client that sends its next request right after an answer is answered (with `Connection: close`)
 * instead of finding its connection gone, and one half-way through its headers is not cut. RFC 9112 §9.6: a server closing an idle connection
 * races with a client sending on it; only a connection idle for a while is closed.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { Server as NetServer, type Socket } from 'node:net'
import { IDLE_SETTLE_MS } from '../native-drain.ts'

const SWEEP_MS = 50

export interface Drain {
  /** To be called first for every request the server receives. */
  track(req: IncomingMessage, res: ServerResponse): void
  /** Forgets an upgraded connection: its own protocol closes it (WebSocket: 1001), not the sweep. */
  release(socket: Socket): void
  /** Stops accepting and drains; resolves once every connection has closed. */
  start(): Promise<void>
  /** Ends the sweeping (after the drain or when its grace is over). */
  stop(): void
}

export function drainOf(server: Server): Drain {
  let draining = false
  let sweeper: ReturnType<typeof setInterval> | undefined
  /** Per connection: answers not yet written, bytes received and since when neither changed. */
  const connections = new Map<Socket, { open: number; bytes: number; idleSince: number }>()
  /** Answers not yet written. */
  const pending = new Set<ServerResponse>()
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { open: 0, bytes: 0, idleSince: performance.now() })
    socket.once('close', () => connections.delete(socket))
  })
  const sweep = () => {
    const now = performance.now()
    for (const [socket, state] of connections) {
      // Bytes arriving (the next request's headers, say) make a connection busy again.
      if (socket.bytesRead !== state.bytes) {
        state.bytes = socket.bytesRead
        state.idleSince = now
      } else if (state.open === 0 && now - state.idleSince >= IDLE_SETTLE_MS) socket.destroy()
    }
  }
  return {
    track(req, res) {
      const state = connections.get(req.socket)
      if (state) state.open++
      if (draining) res.setHeader('connection', 'close')
      else pending.add(res)
      res.once('close', () => {
        pending.delete(res)
        if (!state) return
        state.open--
        state.idleSince = performance.now()
      })
    },
    release(socket) {
      connections.delete(socket)
    },
    start() {
      draining = true
      for (const res of pending) if (!res.headersSent) res.setHeader('connection', 'close')
      const closed = new Promise<void>((resolve) => {
        // net.Server's close, not http.Server's: the latter also closes every idle connection at
        // once (the race above) and stops enforcing the header and request timeouts.
        // Bun's node:http emulation has no net.Server underneath: there its own close must do.
        try {
          NetServer.prototype.close.call(server, () => resolve())
        } catch {
          server.close(() => resolve())
        }
      })
      sweep()
      sweeper = setInterval(sweep, SWEEP_MS)
      return closed
    },
    stop() {
      clearInterval(sweeper)
    },
  }
}
