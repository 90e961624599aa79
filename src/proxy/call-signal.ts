/**
 * @module The abort signal of one upstream call: the client going away or the deadline (a
 * `TimeoutError`, as AbortSignal.timeout gives) aborts it. One controller and one timer, released
 * as soon as the answer's body is read to its end or cancelled — AbortSignal.any() with
 * AbortSignal.timeout() cost several times more per call on Node and kept a timer for the whole
 * deadline after every call.
 */
import { bufferedBody } from './buffered-body.ts'

export interface CallSignal {
  signal: AbortSignal
  /** Clears the timer and the client listener; safe to call more than once. */
  release(): void
}

export function callSignal(client: AbortSignal, timeoutMs: number): CallSignal {
  const controller = new AbortController()
  // The client's reason when it is an error; @hono/node-server aborts with a string, which would
  // surface as a thrown non-Error that hono's error handler never sees (the request then ended
  // with no answer, no metrics and no access line).
  const onClient = () => {
    const reason: unknown = client.reason
    controller.abort(
      reason instanceof Error || reason instanceof DOMException
        ? reason
        : new DOMException(`The client went away: ${String(reason)}`, 'AbortError')
    )
  }
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
  }, timeoutMs)
  if (client.aborted) onClient()
  else client.addEventListener('abort', onClient, { once: true })
  return {
    signal: controller.signal,
    release() {
      clearTimeout(timer)
      client.removeEventListener('abort', onClient)
    },
  }
}

/**
 * The same answer whose body releases the call signal when it ends, fails or is cancelled (the
 * deadline keeps covering a body that streams after the handler returned).
 */
export function releasedAtEnd(response: Response, release: () => void): Response {
  // A body already read whole (buffered-body.ts) has nothing left to cover; nor, for this purpose,
  // has a short one of known length, which arrives with its headers in practice: wrapping it in a
  // JavaScript stream would cost runtimes that pipe their fetch bodies natively (Bun, Deno) more
  // than the answer. A client that goes away still cancels it through the runtime.
  const source = bufferedBody(response) || isShort(response) ? null : response.body
  if (!source) {
    release()
    return response
  }
  const reader = source.getReader()
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = await reader.read().catch((error: unknown) => {
        release()
        throw error
      })
      if (chunk.done) {
        release()
        controller.close()
      } else {
        controller.enqueue(chunk.value)
      }
    },
    cancel(reason) {
      release()
      return reader.cancel(reason)
    },
  })
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  })
}

/** Known length up to 64 KiB, not content-coded. */
function isShort(response: Response): boolean {
  if (response.headers.has('content-encoding')) return false
  const length = response.headers.get('content-length')
  return length !== null && /^\d{1,9}$/.test(length) && Number(length) <= 64 * 1024
}
