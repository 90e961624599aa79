/**
 * @module The minimal upstream standing in for Conductor: fixed answers from memory (the list
 * changes on every call for requests with a `traceparent`, see definitions.ts), keep-alive. `node bench/gateway/upstream.ts <port>`
 */
import { createServer } from 'node:http'
import { changedListBody, LIST_BODY, LIST_PATH, SMALL_BODY } from './definitions.ts'

const port = Number(process.argv[2] ?? '0')
const server = createServer((req, res) => {
  req.resume()
  const list = req.url === LIST_PATH
  const body = list ? (req.headers.traceparent ? changedListBody() : LIST_BODY) : SMALL_BODY
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.byteLength })
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1')
