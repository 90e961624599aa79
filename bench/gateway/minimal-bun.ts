/**
 * @module A reference peer, not a gateway: the smallest Hono app on Bun that forwards `/api/*` with
 * the platform's fetch (no identity, no middleware, no header rules) — what Bun itself allows on
 * this machine, next to which flowgate's Bun figures can be read.
 *   bun bench/gateway/minimal-bun.ts <port> <upstream-url>
 */
import { Hono } from 'hono'

const port = Number(process.argv[2] ?? '0')
const upstream = (process.argv[3] ?? 'http://127.0.0.1:8080').replace(/\/+$/, '')
const app = new Hono()
app.all('/api/*', async (c) => {
  const url = c.req.url
  const answer = await fetch(upstream + url.slice(url.indexOf('/', url.indexOf('//') + 2)), {
    headers: { accept: c.req.header('accept') ?? '*/*' },
  })
  return new Response(answer.body, {
    status: answer.status,
    headers: { 'content-type': answer.headers.get('content-type') ?? 'application/octet-stream' },
  })
})
Bun.serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
