/**
 * @module A buffered run's reply written straight to the Node response (@hono/node-server's
 * documented RESPONSE_ALREADY_SENT): the head and every piece leave corked, in one writev, and
 * what the socket cannot take yet is written on by libuv without coming back to JavaScript. Handed
 * to the adapter as a stream instead, each 64 KiB piece of a 1 MiB reply was its own write call
 * through the stream machinery.
 */
import type { ServerResponse } from 'node:http'
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response'
import type { Context } from 'hono'
import type { AppEnv } from '../../env.ts'
import { withRequestId } from '../../middleware/request-id.ts'

/**
 * The adapter honours the sentinel only as a platform Response: one built after the adapter put
 * its own Response class in place (this module first loaded after a server started) would be
 * written out again. Then replies take the portable path.
 */
export const canSendDirectly =
  Object.getPrototypeOf(Object.getPrototypeOf(RESPONSE_ALREADY_SENT)) === Object.prototype

export function sendPieces(
  c: Context<AppEnv>,
  outgoing: ServerResponse,
  pieces: readonly Uint8Array[],
  headers: Record<string, string>
): Response {
  outgoing.cork()
  outgoing.writeHead(200, withRequestId(c, headers))
  for (const piece of pieces) outgoing.write(piece)
  // end() uncorks fully: head and pieces go out together.
  outgoing.end()
  return RESPONSE_ALREADY_SENT
}
