/**
 * @module The ceiling for a proxy written in Node: node:http in, node:http out over a keep-alive
 * agent, bodies piped, no rewriting. `node bench/gateway/bare-proxy.ts <port> <upstream-url>`
 */
import { Agent, createServer, request } from 'node:http'

const port = Number(process.argv[2] ?? '0')
const target = new URL(process.argv[3] ?? 'http://127.0.0.1:8080')
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

const server = createServer((req, res) => {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
      agent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    }
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502)
    res.end()
  })
  req.pipe(upstream)
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1')
