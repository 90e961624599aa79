/**
 * @module One body-less GET to the engine for the Node listener's direct pass-through
 * (node-pass-through.ts), with undici's `request` over the forwarder's keep-alive agent
 * (fetch.ts): no fetch Request or Response, no AbortController, one timer. The deadline and
 * the client going away cut the call at any point, the answer's body included; a call whose
 * connection failed before any answer (a kept-alive one the engine had closed) is sent once more,
 * as the forwarder does for idempotent calls.
 */
import { EventEmitter } from 'node:events'
import type { ServerResponse } from 'node:http'
import type { Dispatcher } from 'undici'
import { engineUrl } from '../engine-url.ts'
import { engineAnswer } from './fetch.ts'
import type { EngineAnswer } from './fetch-response.ts'

/** The engine's base URL taken apart once, as undici's request options want it. */
export interface EngineOrigin {
  agent: Dispatcher
  /** `scheme://host:port`. */
  origin: string
  /** The base URL's path without its trailing `/` (empty for an engine at the root). */
  prefix: string
  /** Basic authentication for credentials in the base URL, if it has any. */
  authorization: string | undefined
}

export function engineOrigin(baseUrl: string, agentFor: (protocol: string) => Dispatcher): EngineOrigin {
  const url = engineUrl(baseUrl)
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the engine URL must be http or https, not ${url.protocol}`)
  }
  return {
    agent: agentFor(url.protocol),
    origin: `${url.protocol}//${url.host}`,
    prefix: url.prefix,
    authorization:
      url.credentials === undefined ? undefined : `Basic ${Buffer.from(url.credentials).toString('base64')}`,
  }
}

export interface EngineGetHandlers {
  /** The engine answered (its body is still to be read, or cut: see EngineCall). */
  answer(answer: EngineAnswer): void
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

/** What a connection the engine had closed gives when it is used again. */
const STALE = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'])

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
  let answer: EngineAnswer | undefined
  // undici takes an emitter as the abort signal: no AbortController per call.
  const abort = new EventEmitter()
  if (origin.authorization !== undefined) headers.authorization = origin.authorization

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
    if (answer) answer.destroy(reason)
    else {
      abort.emit('abort')
      fail(reason)
    }
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
    origin.agent
      .request({ origin: origin.origin, path: origin.prefix + target, method: 'GET', headers, signal: abort })
      .then(
        (response) => {
          if (over || cause) {
            response.body.destroy()
            return
          }
          answer = engineAnswer(response)
          on.answer(answer)
        },
        (error: unknown) => {
          if (over || cause) return
          const code = (error as { code?: string }).code
          if (!retried && code !== undefined && STALE.has(code)) {
            retried = true
            send()
            return
          }
          fail(new TypeError('fetch failed', { cause: error }))
        }
      )
  }
  send()
  return { finished: end, fail }
}
