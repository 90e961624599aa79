/** @module /openapi.json and /docs, an API viewer (swagger-ui-dist) served from local files. */
import { Hono } from 'hono'
import type { AppEnv, AssetSource } from '../env.ts'
import { AppError } from '../errors.ts'
import { type OpenApiRegistry, problemResponse } from '../ops/openapi.ts'

export interface ApiDocsOptions {
  openapi: OpenApiRegistry
  assets: AssetSource | undefined
  version: string
}

/** The only files of swagger-ui-dist that are served: nothing else of node_modules leaks. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>flowgate API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="api"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`

const INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api', deepLinking: true })\n`

/** No inline script and nothing from other origins (the machines may be offline). */
const CSP =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"

export function apiDocs(options: ApiDocsOptions): Hono<AppEnv> {
  const { openapi, assets } = options
  const app = new Hono<AppEnv>()
  let cached: string | undefined
  openapi.add({
    method: 'get',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    tags: ['operations'],
    responses: { 200: { description: 'The document', contentType: 'application/json' } },
  })
  app.get('/openapi.json', (c) => {
    cached ??= JSON.stringify(openapi.document({ title: 'flowgate', version: options.version }))
    return c.body(cached, 200, { 'content-type': 'application/json; charset=utf-8' })
  })

  openapi.add({
    method: 'get',
    path: '/docs',
    summary: 'Interactive API viewer',
    tags: ['operations'],
    responses: {
      200: { description: 'HTML page', contentType: 'text/html' },
      503: problemResponse('The viewer files are not installed'),
    },
  })
  app.get('/docs', (c) => {
    if (!assets) throw new AppError('FG_ERR_DOCS_UNAVAILABLE')
    return c.html(PAGE, 200, { 'content-security-policy': CSP })
  })
  openapi.add({
    method: 'get',
    path: '/docs/:asset',
    summary: 'A file of the API viewer',
    tags: ['operations'],
    responses: {
      200: { description: 'The file', contentType: 'text/javascript' },
      404: problemResponse('Not a file of the viewer'),
      503: problemResponse('The viewer files are not installed'),
    },
  })
  app.get('/docs/:asset', async (c) => {
    const name = c.req.param('asset')
    if (name === 'init.js') return c.body(INIT, 200, { 'content-type': 'text/javascript; charset=utf-8' })
    const type = ASSETS[name]
    if (!type) throw new AppError('FG_ERR_HTTP_NOT_FOUND', { detail: 'No such API viewer file.' })
    const file = assets ? await assets(name) : undefined
    if (!file?.ok || !file.body) throw new AppError('FG_ERR_DOCS_UNAVAILABLE')
    return new Response(file.body, {
      headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
    })
  })
  return app
}
