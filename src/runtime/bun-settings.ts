/** @module [server] settings as Bun.serve takes them (no Bun types: the Node entry uses it too). */

/**
 * Bun.serve's `idleTimeout` (whole seconds, at most 255) for keep_alive_timeout_ms; undefined
 * (Bun's default, 10 s) for 0. Bun applies it to every silent connection: between requests, and
 * also to a streamed answer that sends nothing for that long (not to one still being computed).
 */
export function bunIdleTimeout(keepAliveMs: number): number | undefined {
  return keepAliveMs > 0 ? Math.min(255, Math.ceil(keepAliveMs / 1000)) : undefined
}
