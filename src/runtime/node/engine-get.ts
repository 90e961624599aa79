/**
 * @module One body-less GET to the engine for the Node listener's direct pass-through
 * (node-pass-through.ts), on node:http over the forwarder's keep-alive agents: no fetch Request or
 * Response, no AbortController, one timer. The deadline and the client going away cut the call at
 * any point, the answer's body included; a reused keep-alive socket that the engine had closed is
 * retried once, as node-fetch.ts does for idempotent calls.
 */
import {
  type Agent,
  type ClientRequest,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { request as httpsRequest } from 'node:https'
import { engineUrl } from '../engine-url.ts'
import { isReset } from './fetch.ts'

/** The engine's base URL taken apart once, as node:http's request options want it. */
export interface EngineOrigin {
  request: typeof httpRequest
  agent: Agent
  hostname: string
  port: string
  /** The base URL's path without its trailing `/` (empty for an engine at the root). */
  prefix: string
  /** `user:password` from the base URL (sent as Basic authentication), if it has any. */
  auth: string | undefined
}

export function engineOrigin(baseUrl: string, agentFor: (protocol: string) => Agent): EngineOrigin {
  const url = engineUrl(baseUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the engine URL must be http or https, not ${url.protocol}`)
  }
  return {
    request: url.protocol === 'https:' ? httpsRequest : httpRequest,
    agent: agentFor(url.protocol),
    hostname: url.hostname,
    port: url.port,
    prefix: url.prefix,
    auth: url.credentials,
  }
}

export interface EngineGetHandlers {
  /** The engine answered (its body is still to be read, or cut: see EngineCall). */
  answer(answer: IncomingMessage): void
  /**
   * The call ended without a whole answer: the engine unreachable or gone mid-answer, the deadline
   * (a `TimeoutError`), or the client gone (an `AbortError`, with `clientGone`). At most once, and
   * never after `EngineCall.finished`.
   */
  failed(error: Error, clientGone: boolean): void
}

export interface EngineCall {
  /** The answer's body went through (or is no longer read): the deadline and client watch end. */
  finished(): void
  /** A failure met while reading the answer's body (reported through `failed`, as the deadline's cause if it fired). */
  fail(error: Error): void
}

/**
 * Sends `GET prefix+target` with `headers`; `client` is the response the call serves, whose
 * closing before it is written whole cuts the call.
 */
export function engineGet(
  origin: EngineOrigin,
  target: string,
  headers: Record<string, string>,
  timeoutMs: number,
  client: ServerResponse,
  on: EngineGetHandlers
): EngineCall {
  let over = false
  let retried = false
  let clientGone = false
  /** Why the call was cut (deadline or client), once it was. */
  let cause: Error | undefined
  let answer: IncomingMessage | undefined
  let req: ClientRequest

  const end = () => {
    over = true
    clearTimeout(timer)
    client.off('close', onClientClose)
  }
  const fail = (error: Error) => {
    if (over) return
    end()
    on.failed(cause ?? error, clientGone)
  }
  // Cut: the request and any answer are destroyed; a body being read reports through `fail`.
  const cut = (reason: Error) => {
    if (over || cause) return
    cause = reason
    req.destroy(reason)
    if (answer) answer.destroy(reason)
    else fail(reason)
  }
  const onClientClose = () => {
    if (client.writableFinished) return
    clientGone = true
    cut(new DOMException('The client went away', 'AbortError'))
  }
  const timer = setTimeout(
    () => cut(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    timeoutMs
  )
  client.once('close', onClientClose)

  const send = () => {
    req = origin.request(
      {
        hostname: origin.hostname,
        port: origin.port,
        path: origin.prefix + target,
        method: 'GET',
        headers,
        agent: origin.agent,
        ...(origin.auth === undefined ? {} : { auth: origin.auth }),
      },
      (res) => {
        if (over || cause) {
          res.destroy()
          return
        }
        answer = res
        on.answer(res)
      }
    )
    req.on('error', (error) => {
      if (answer) return // the answer's own listeners report what happens to its body
      if (!over && !cause && !retried && req.reusedSocket && isReset(error)) {
        retried = true
        send()
        return
      }
      fail(new TypeError('fetch failed', { cause: error }))
    })
    req.end()
  }
  send()
  return { finished: end, fail }
}
