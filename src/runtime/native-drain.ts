/**
 * @module The drain of the Bun.serve and Deno.serve listeners on shutdown. Their own stop closes
 * every idle kept-alive connection at once and answers requests in flight without saying
 * `Connection: close` (RFC 9112 §9.6: a client sending on a connection as it is closed loses its
 * request). So while draining every answer says `Connection: close` (Bun then closes its
 * connection; Deno keeps it, and the client, told to, sends no more on it), and the runtime's stop
 * comes IDLE_SETTLE_MS later, when the connections in use have had their answer.
 */

/** How long a connection must have carried no request before the drain closes it. */
export const IDLE_SETTLE_MS = 1_000

type Fetch<A extends unknown[]> = (request: Request, ...rest: A) => Response | Promise<Response>

export interface NativeDrain {
  /** `fetch` whose answers say `Connection: close` once the drain has begun. */
  wrap<A extends unknown[]>(fetch: Fetch<A>): Fetch<A>
  /** Begins the drain; resolves when the runtime's own stop should follow. */
  begin(): Promise<void>
}

export function nativeDrain(): NativeDrain {
  let draining = false
  const mark = (response: Response) => (draining ? closing(response) : response)
  return {
    wrap(fetch) {
      return (request, ...rest) => {
        const answer = fetch(request, ...rest)
        return answer instanceof Promise ? answer.then(mark) : mark(answer)
      }
    },
    begin() {
      draining = true
      return new Promise((resolve) => setTimeout(resolve, IDLE_SETTLE_MS))
    },
  }
}

/** `response` saying `Connection: close` (a copy when its headers are immutable, as fetch's are). */
function closing(response: Response): Response {
  try {
    response.headers.set('connection', 'close')
    return response
  } catch {
    const headers = new Headers(response.headers)
    headers.set('connection', 'close')
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers })
  }
}
