/**
 * @module The Node request and response behind a hono context, when @hono/node-server serves it
 * (its `env` bindings `incoming` and `outgoing`); undefined on other runtimes and for in-process
 * requests (`app.request()`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http'

function binding(env: unknown, name: 'incoming' | 'outgoing'): object | undefined {
  if (typeof env !== 'object' || env === null || !(name in env)) return undefined
  const value: unknown = (env as Record<string, unknown>)[name]
  return typeof value === 'object' && value !== null && 'once' in value ? value : undefined
}

export function nodeIncoming(env: unknown): IncomingMessage | undefined {
  const incoming = binding(env, 'incoming')
  return incoming && 'readableEnded' in incoming ? (incoming as IncomingMessage) : undefined
}

export function nodeOutgoing(env: unknown): ServerResponse | undefined {
  const outgoing = binding(env, 'outgoing')
  return outgoing && 'writableEnded' in outgoing ? (outgoing as ServerResponse) : undefined
}
