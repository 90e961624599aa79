/**
 * @module One accepted WebSocket handed to its module: text messages as strings, binary ones
 * refused, a module's failure closing the socket instead of the process, onClose exactly once.
 */
import type { RawData, WebSocket } from 'ws'
import type { ModuleSocket, SocketHandlers } from '../../module.ts'
import type { Logger } from '../../ops/logger.ts'

/** RFC 6455 §7.4.1 status codes the listener closes with. */
export const CLOSE = {
  goingAway: 1001,
  unsupportedData: 1003,
  abnormal: 1006,
  tooBig: 1009,
  internalError: 1011,
} as const

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}

/** Calls the module's onClose once, whatever closes first; a throwing onClose is logged. */
export function closeOnce(handlers: SocketHandlers, logger: Logger): (code: number, reason: string) => void {
  let closed = false
  return (code, reason) => {
    if (closed) return
    closed = true
    try {
      handlers.onClose?.(code, reason)
    } catch (error) {
      logger.error('websocket onClose failed', { error })
    }
  }
}

/** Wires `ws` to the module's handlers and opens it. */
export function attachModuleSocket(ws: WebSocket, handlers: SocketHandlers, logger: Logger): void {
  const socket: ModuleSocket = {
    send(data) {
      // Sending on a socket that is closing is a race every module would lose: drop it.
      if (ws.readyState === ws.OPEN) ws.send(data)
    },
    close(code, reason) {
      ws.close(code, reason)
    },
  }
  const failed = (hook: string, error: unknown) => {
    logger.error('websocket handler failed', { hook, error })
    ws.close(CLOSE.internalError, 'internal error')
  }
  const closed = closeOnce(handlers, logger)
  // ws reports what it closes for itself here (1009 over the cap, 1007 bad UTF-8, 1002 bad
  // framing); without a listener the error would be thrown out of the process.
  ws.on('error', (error) => logger.debug('websocket closed on a protocol error', { error: error.message }))
  ws.on('close', (code, reason) => closed(code, reason.toString('utf8')))
  ws.on('message', (data, isBinary) => {
    if (ws.readyState !== ws.OPEN) return
    if (isBinary) {
      // The contract delivers strings; decoding bytes as text would hand the module data it never
      // asked for, so binary is refused as data this endpoint cannot accept.
      ws.close(CLOSE.unsupportedData, 'binary messages are not accepted')
      return
    }
    try {
      handlers.onMessage(text(data), socket)
    } catch (error) {
      failed('onMessage', error)
    }
  })
  try {
    handlers.onOpen?.(socket)
  } catch (error) {
    failed('onOpen', error)
  }
}
