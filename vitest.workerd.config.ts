/** The conformance cases inside workerd, through the Cloudflare vitest plugin. */
import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
  test: { include: ['test/runtime/workerd/**/*.test.ts'] },
})
