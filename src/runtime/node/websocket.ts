/**
 * @module Serves a composed app's WebSocket routes on node:http with ws: an upgrade runs the app's
 * chain and the module's middleware and accept first (a refusal is the chain's own problem+json,
 * and nothing upgrades), each route's message cap is its own ws server's maxPayload, and shutdown
 * closes every socket with 1001.
 */
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import type { Context, Hono } from 'hono'
import { TrieRouter } from 'hono/router/trie-router'
import { WebSocketServer } from 'ws'
import type { AppEnv } from '../../env.ts'
import { AppError, problemResponse } from '../../errors.ts'
import type { SocketHandlers, WebSocketRoute } from '../../module.ts'
import type { Logger } from '../../ops/logger.ts'
import { attachModuleSocket, CLOSE, closeOnce } from './module-socket.ts'
import { handshakeFields, originPath, pathOf, requestOf, writeResponse } from './upgrade-http.ts'

/** Where the route's handler leaves what accept returned, in the upgrade's env. */
const PENDING = Symbol('flowgate.websocket.pending')

interface Served {
  route: WebSocketRoute
  server: WebSocketServer
}

interface Pending {
  served?: Served
  handlers?: SocketHandlers
}

/** RFC 6455 §4.1: a 16-byte nonce, base64. */
const KEY = /^[+/0-9A-Za-z]{22}==$/

export interface WebSocketUpgrades {
  /** node:http's `upgrade` listener. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Refuses new upgrades (503) and closes every open socket with 1001 (going away). */
  goAway(): void
  /** Cuts every socket at once, open or still being accepted (the grace is over). */
  terminate(): void
}

/** Is this upgrade a WebSocket one? Other upgrades (h2c) stay ordinary requests (node:http ≥ 22.21). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return req.headers.upgrade?.toLowerCase() === 'websocket'
}

function handshakeProblem(req: IncomingMessage): string | undefined {
  if (!isWebSocketUpgrade(req)) return 'Only WebSocket upgrades are served.'
  if (req.method !== 'GET') return 'A WebSocket handshake is a GET request (RFC 6455 §4.1).'
  const version = req.headers['sec-websocket-version']
  const key = req.headers['sec-websocket-key'] ?? ''
  if (version !== '13' || !KEY.test(key)) return 'Not a valid WebSocket handshake (RFC 6455 §4.1).'
  return undefined
}

/** The route's last handler in the app: after the chain and the module's middleware, ask accept. */
function acceptRoute(served: Served) {
  return async function acceptWebSocket(c: Context<AppEnv>) {
    const pending = (c.env as Record<symbol, Pending | undefined> | undefined)?.[PENDING]
    if (!pending) {
      throw new AppError('FG_ERR_HTTP_UPGRADE_REQUIRED', { headers: { upgrade: 'websocket' } })
    }
    pending.handlers = await served.route.accept(c)
    pending.served = served
    // Fetch has no 101 Response; the chain records the accepted upgrade as 200.
    return c.body(null, 200)
  }
}

/**
 * Registers one handler per route on `app` (before it serves its first request) and returns the
 * upgrade listener and the shutdown hooks for its server.
 */
export function webSocketUpgrades(
  app: Hono<AppEnv>,
  routes: readonly WebSocketRoute[],
  logger: Logger
): WebSocketUpgrades {
  const declared = new TrieRouter<Served>()
  const servers: WebSocketServer[] = []
  for (const route of routes) {
    if (!Number.isInteger(route.maxMessageBytes) || route.maxMessageBytes <= 0) {
      throw new Error(`websocket ${route.path}: maxMessageBytes must be a positive integer`)
    }
    // One ws server per route: maxPayload is a server's option, so each route keeps its own cap.
    // No compression: a deflated message could inflate far past the cap before ws counts it.
    const server = new WebSocketServer({
      noServer: true,
      maxPayload: route.maxMessageBytes,
      perMessageDeflate: false,
    })
    const served: Served = { route, server }
    servers.push(server)
    declared.add('GET', route.path, served)
    app.get(route.path, acceptRoute(served))
  }
  let goingAway = false
  /** Sockets whose upgrade is still in the chain: cut too when the grace is over. */
  const accepting = new Set<Duplex>()

  const refuse = (socket: Duplex, error: AppError) => writeResponse(socket, problemResponse(error, undefined))

  const open = (req: IncomingMessage, socket: Duplex, head: Buffer, response: Response, pending: Pending) => {
    const { served, handlers } = pending
    if (!served || !handlers) return writeResponse(socket, response)
    const closed = closeOnce(handlers, logger)
    if (response.status !== 200 || socket.destroyed || goingAway) {
      // Accepted, but the socket never opened: the module still hears of its end.
      closed(CLOSE.abnormal, '')
      if (goingAway && response.status === 200) {
        return refuse(socket, new AppError('FG_ERR_NOT_READY', { detail: 'The server is shutting down.' }))
      }
      return writeResponse(socket, response)
    }
    const fields = handshakeFields(response)
    const addFields = (headers: string[]) => void headers.push(...fields)
    let upgraded = false
    served.server.on('headers', addFields)
    try {
      // Synchronous here (no verifyClient, no compression to negotiate).
      served.server.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true
        attachModuleSocket(ws, { ...handlers, onClose: closed }, logger)
      })
    } finally {
      served.server.off('headers', addFields)
    }
    if (!upgraded) closed(CLOSE.abnormal, '')
    return undefined
  }

  const handle = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const target = originPath(req)
    // Undeclared paths reach nothing: no chain, no module, no log line.
    if (target === undefined || declared.match('GET', pathOf(target))[0].length === 0) {
      return refuse(socket, new AppError('FG_ERR_HTTP_NOT_FOUND'))
    }
    const problem = handshakeProblem(req)
    if (problem) return refuse(socket, new AppError('FG_ERR_HTTP_BAD_REQUEST', { detail: problem }))
    if (goingAway)
      return refuse(socket, new AppError('FG_ERR_NOT_READY', { detail: 'The server is shutting down.' }))
    const gone = new AbortController()
    const leave = () => gone.abort()
    socket.once('close', leave)
    accepting.add(socket)
    try {
      const request = requestOf(req, gone.signal)
      if (!request) return await refuse(socket, new AppError('FG_ERR_HTTP_BAD_REQUEST'))
      const pending: Pending = {}
      const env = { incoming: req, outgoing: undefined, [PENDING]: pending }
      const response = await app.fetch(request, env)
      return await open(req, socket, head, response, pending)
    } finally {
      accepting.delete(socket)
      socket.off('close', leave)
    }
  }

  return {
    upgrade(req, socket, head) {
      // A reset while the chain decides must not reach the process as an unhandled error.
      socket.on('error', (error) => logger.debug('websocket upgrade socket error', { error: error.message }))
      handle(req, socket, head).catch((error: unknown) => {
        logger.error('websocket upgrade failed', { error })
        socket.destroy()
      })
    },
    goAway() {
      goingAway = true
      for (const server of servers) {
        for (const ws of server.clients) ws.close(CLOSE.goingAway, 'server shutting down')
      }
    },
    terminate() {
      for (const server of servers) for (const ws of server.clients) ws.terminate()
      for (const socket of accepting) socket.destroy()
    },
  }
}
