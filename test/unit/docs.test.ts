import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { renderConfigDoc, renderExampleToml } from '../../scripts/config-docs.ts'
import { resolveConfig } from '../../src/config/resolve.ts'
import { ERRORS } from '../../src/errors.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')

describe('documentation kept in step with the code', () => {
  it('docs/CONFIG.md is what `npm run docs` renders from the schema', () => {
    expect(read('docs/CONFIG.md')).toBe(renderConfigDoc())
  })

  it('flowgate.example.toml is what `npm run docs` renders, and it resolves to the defaults', () => {
    const text = read('flowgate.example.toml')
    expect(text).toBe(renderExampleToml())
    const fromFile = resolveConfig({ file: { path: 'flowgate.example.toml', text } }).config
    expect(fromFile).toEqual(resolveConfig({}).config)
  })

  it('docs/ERRORS.md lists every registered error code with its status, and no other', () => {
    const doc = read('docs/ERRORS.md')
    const rows = [...doc.matchAll(/^\| `(FG_ERR_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1], Number(m[2])])
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(ERRORS).map(([code, { status }]) => [code, status]))
    )
  })

  it('examples/flowgate.toml, used by `npm start`, is a valid configuration', () => {
    const text = read('examples/flowgate.toml')
    const { config } = resolveConfig({ file: { path: 'examples/flowgate.toml', text } })
    expect(config.server.port).toBe(8088)
  })
})
