/** @module Tiny JSON-over-HTTP helpers for talking to the real engines in smoke tests. */

export interface Answer {
  status: number
  text: string
}

/** Sends a request (JSON body when given) with a deadline; never throws for an HTTP status. */
export async function send(method: string, url: string, body?: unknown): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  return { status: response.status, text: await response.text() }
}

/** Like `send`, but expects a 2xx answer and returns it parsed as JSON (undefined when empty). */
export async function sendJson(method: string, url: string, body?: unknown): Promise<unknown> {
  const answer = await send(method, url, body)
  if (answer.status < 200 || answer.status > 299)
    throw new Error(`${method} ${url}: ${answer.status} ${answer.text}`)
  return answer.text === '' ? undefined : JSON.parse(answer.text)
}

/** Retries `check` until it returns a value (not undefined) or the deadline passes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/** Reads a property of an unknown JSON value, for assertions on engine answers. */
export function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
}
