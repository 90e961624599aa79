/** Node test projects: unit (in-process), conformance on Node, integration (real processes), engines (real Conductor, Keycloak, PostgreSQL). */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' } },
      {
        test: { name: 'conformance-node', include: ['test/runtime/node/**/*.test.ts'], environment: 'node' },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Real Conductor, Keycloak and PostgreSQL, installed and started once per run by the set-up.
        test: {
          name: 'engines',
          include: ['test/engines-it/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/engines/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
})
