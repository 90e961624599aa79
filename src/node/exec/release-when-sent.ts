/**
 * @module When a reply has been sent, for what must be held until then (a buffered run's share of
 * exec.max_buffered_bytes: a client that does not read keeps its reply in memory).
 */
import { nodeIncoming, nodeOutgoing } from '../shared/node-bindings.ts'

/**
 * Calls `release` once the reply has left (or the connection is gone): with @hono/node-server the
 * Node response is `env.outgoing`, whose 'close' comes after the last byte is handed to the
 * kernel. Without one (in-process requests), right away.
 */
export function releaseWhenSent(env: unknown, release: () => void): void {
  const outgoing = nodeOutgoing(env)
  if (!outgoing || outgoing.closed || outgoing.destroyed) {
    release()
    return
  }
  // A reply queued behind an earlier one on a pipelining connection that drops never emits
  // 'close' itself: the socket's does (nothing is written after it, so its memory is free too).
  const socket = nodeIncoming(env)?.socket
  let released = false
  const once = () => {
    if (released) return
    released = true
    socket?.off('close', once)
    release()
  }
  outgoing.once('close', once)
  socket?.once('close', once)
}
