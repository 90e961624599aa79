/**
 * @module A reference peer, not a gateway: the smallest Hono app on @hono/node-server that forwards
 * `/api/*` over a node:http keep-alive agent and answers with the bytes (no identity, middleware
 * or header rules) — the ceiling for anything built on Hono's Node adapter, next to which
 * flowgate's Node figures can be read.
 *   node bench/gateway/minimal-node.ts <port> <upstream-url>
 */
import { Agent, request } from 'node:http'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'

const port = Number(process.argv[2] ?? '0')
const target = new URL(process.argv[3] ?? 'http://127.0.0.1:8080')
const agent = new Agent({ keepAlive: true, maxSockets: 256 })
const app = new Hono()
app.all(
  '/api/*',
  (c) =>
    new Promise<Response>((resolve, reject) => {
      const url = c.req.url
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: c.req.method,
          path: url.slice(url.indexOf('/', url.indexOf('//') + 2)),
          headers: { accept: c.req.header('accept') ?? '*/*' },
          agent,
        },
        (answer) => {
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () =>
            resolve(
              new Response(Buffer.concat(chunks) as Uint8Array<ArrayBuffer>, {
                status: answer.statusCode ?? 502,
                headers: {
                  'content-type': String(answer.headers['content-type'] ?? 'application/octet-stream'),
                },
              })
            )
          )
          answer.on('error', reject)
        }
      )
      forward.on('error', reject)
      forward.end()
    })
)
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' })
