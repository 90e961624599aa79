/**
 * @module The minimal upstream standing in for Conductor: fixed answers from memory, keep-alive,
 * nothing else. `node bench/gateway/upstream.ts <port>`
 */
import { createServer } from 'node:http'
import { LIST_BODY, LIST_PATH, SMALL_BODY } from './definitions.ts'

const port = Number(process.argv[2] ?? '0')
const server = createServer((req, res) => {
  req.resume()
  const body = req.url === LIST_PATH ? LIST_BODY : SMALL_BODY
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.byteLength })
  res.end(body)
})
server.keepAliveTimeout = 60_000
server.listen(port, '127.0.0.1')
