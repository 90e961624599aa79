/**
 * @module The original's stack, re-built for comparison: express + http-proxy over a keep-alive
 * agent. `/proxy/api/metadata/workflow` is the tenant-rewritten list (identity from x-tenant-id,
 * x-auth-user-groups/roles; admin = group network-admin or role OWNER); `/api/*` passes through
 * like the original's task proxy. `node bench/gateway/original.ts <port> <upstream-url>`
 */
import { Agent, type IncomingMessage } from 'node:http'
import express, { type Request, type Response } from 'express'
import httpProxy from 'http-proxy'
import { type Caller, tenantDefinitions } from './original-tenant.ts'

const port = Number(process.argv[2] ?? '0')
const target = process.argv[3] ?? 'http://127.0.0.1:8080'
const agent = new Agent({ keepAlive: true, maxSockets: 256 })

const passThrough = httpProxy.createProxyServer({ target, agent })
const rewriting = httpProxy.createProxyServer({ target, agent, selfHandleResponse: true })
for (const proxy of [passThrough, rewriting]) {
  proxy.on('error', (_error, _req, res) => {
    if ('writeHead' in res && !res.headersSent) res.writeHead(502)
    res.end()
  })
}

function split(value: string | string[] | undefined): string[] {
  return String(value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

function callerOf(req: IncomingMessage): Caller {
  const groups = split(req.headers['x-auth-user-groups'])
  const roles = split(req.headers['x-auth-user-roles'])
  return {
    tenant: String(req.headers['x-tenant-id']),
    groups,
    roles,
    isAdmin: groups.includes('network-admin') || roles.includes('OWNER'),
  }
}

rewriting.on('proxyRes', (proxyRes, req, res) => {
  const chunks: Buffer[] = []
  proxyRes.on('data', (chunk: Buffer) => chunks.push(chunk))
  proxyRes.on('end', () => {
    const answer = res as Response
    if (proxyRes.statusCode !== 200) {
      answer.status(proxyRes.statusCode ?? 502).send(Buffer.concat(chunks))
      return
    }
    const defs = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    answer.json(tenantDefinitions(defs, callerOf(req)))
  })
})

const app = express()
app.disable('x-powered-by')
app.use(express.json({ limit: '50mb' }))
app.get('/proxy/api/metadata/workflow', (req: Request, res: Response) => {
  const tenant = req.header('x-tenant-id')
  if (!tenant) {
    res.status(400).send('Cannot get tenantId:x-tenant-id header not found')
    return
  }
  if (tenant === 'GLOBAL') {
    res.status(400).send('Illegal TenantId')
    return
  }
  req.url = '/api/metadata/workflow'
  rewriting.web(req, res)
})
app.use('/api', (req: Request, res: Response) => {
  req.url = req.originalUrl
  passThrough.web(req, res)
})
const server = app.listen(port, '127.0.0.1')
server.keepAliveTimeout = 60_000
