/**
 * @module The HTTP side of a WebSocket upgrade on node:http: the upgrade request as a fetch
 * Request for the app's chain, and the chain's answer written to the raw socket when it refuses.
 * node:http hands an upgrade over as a bare socket, so a refusal is written here by hand.
 */
import { type IncomingMessage, STATUS_CODES } from 'node:http'
import type { Duplex } from 'node:stream'

/** A Host header is a host and an optional port (RFC 9110 §7.2); anything else is refused. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/** Hop-by-hop fields and the framing this writer sets itself (RFC 9110 §7.6.1). */
const OWN_FIELDS = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
])

/** The request path of an upgrade in origin form (`/a?b`), or undefined when it is not one. */
export function originPath(req: IncomingMessage): string | undefined {
  const target = req.url ?? ''
  // An origin-form target only: `//host/x` would otherwise be read as another authority.
  return target.startsWith('/') && !target.startsWith('//') ? target : undefined
}

/** The path alone, as hono routes it (no query). */
export function pathOf(target: string): string {
  const query = target.search(/[?#]/)
  return query === -1 ? target : target.slice(0, query)
}

/** The upgrade request as a body-less fetch Request; undefined when its target or headers are not valid. */
export function requestOf(req: IncomingMessage, signal: AbortSignal): Request | undefined {
  const target = originPath(req)
  const host = req.headers.host ?? ''
  if (target === undefined || !HOST.test(host)) return undefined
  try {
    const headers = new Headers()
    const raw = req.rawHeaders
    for (let at = 0; at + 1 < raw.length; at += 2) headers.append(raw[at] as string, raw[at + 1] as string)
    return new Request(`http://${host}${target}`, { method: req.method ?? 'GET', headers, signal })
  } catch {
    // A header value fetch refuses (a control character): the request is not valid.
    return undefined
  }
}

/** Writes `response` (status, headers, body) to an upgrade's socket and closes it. */
export async function writeResponse(socket: Duplex, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer())
  if (socket.destroyed) return
  const lines = [`HTTP/1.1 ${response.status} ${STATUS_CODES[response.status] ?? ''}`]
  response.headers.forEach((value, name) => {
    if (!OWN_FIELDS.has(name) && name !== 'set-cookie') lines.push(`${name}: ${value}`)
  })
  for (const cookie of response.headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`)
  lines.push('connection: close', `content-length: ${body.length}`)
  socket.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]))
}

/** Fields of the chain's answer worth repeating on the 101 (x-request-id and the like). */
export function handshakeFields(response: Response): string[] {
  const fields: string[] = []
  response.headers.forEach((value, name) => {
    if (!OWN_FIELDS.has(name) && !name.startsWith('content-') && !name.startsWith('sec-websocket-')) {
      fields.push(`${name}: ${value}`)
    }
  })
  return fields
}
