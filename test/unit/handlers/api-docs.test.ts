import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve.ts'
import type { AssetSource } from '../../../src/env.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { createMainApp } from '../../../src/portable.ts'
import { detectCapabilities } from '../../../src/runtime/capabilities.ts'
import { swaggerUiAssets } from '../../../src/runtime/file-assets.ts'

function build(assets?: AssetSource) {
  return createMainApp({
    config: resolveConfig({ env: {} }).config,
    logger: createLogger({ level: 'silent' }),
    capabilities: detectCapabilities(),
    ...(assets ? { assets } : {}),
  })
}

describe('/docs and /openapi.json', () => {
  it('documents every route the app serves', () => {
    const { app, openapi } = build(swaggerUiAssets())
    const served = new Set(
      app.routes.filter((route) => route.method !== 'ALL').map((route) => `${route.method} ${route.path}`)
    )
    expect([...served].sort()).toEqual([...new Set(openapi.documented)].sort())
  })

  it('serves the viewer page with a same-origin content security policy', async () => {
    const response = await build(swaggerUiAssets()).app.request('/docs')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^text\/html/)
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'")
    const html = await response.text()
    expect(html).toContain('/docs/swagger-ui-bundle.js')
    expect(html).not.toMatch(/https?:\/\//)
  })

  it('serves the viewer files from the installed swagger-ui-dist package', async () => {
    const app = build(swaggerUiAssets()).app
    const bundle = await app.request('/docs/swagger-ui-bundle.js')
    expect(bundle.status).toBe(200)
    expect(bundle.headers.get('content-type')).toMatch(/javascript/)
    expect((await bundle.text()).length).toBeGreaterThan(100_000)
    const init = await app.request('/docs/init.js')
    expect(await init.text()).toContain("url: '/openapi.json'")
  })

  it.each(['package.json', 'index.html', '..%2F..%2Fpackage.json', 'swagger-ui-bundle.js.map'])(
    'refuses %s, which is not a viewer file, with 404',
    async (name) => {
      const response = await build(swaggerUiAssets()).app.request(`/docs/${name}`)
      expect(response.status).toBe(404)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
    }
  )

  it('answers 503 FG_ERR_DOCS_UNAVAILABLE when the runtime has no viewer files', async () => {
    const app = build().app
    for (const path of ['/docs', '/docs/swagger-ui.css']) {
      const response = await app.request(path)
      expect(response.status).toBe(503)
      expect(((await response.json()) as { code: string }).code).toBe('FG_ERR_DOCS_UNAVAILABLE')
    }
    expect((await app.request('/openapi.json')).status).toBe(200)
  })
})
