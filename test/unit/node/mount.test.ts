import { describe, expect, it, vi } from 'vitest'
import { createApp } from '../../../src/app.ts'
import { composeApp } from '../../../src/compose.ts'
import { resolveConfig } from '../../../src/config/resolve.ts'
import type { AppDeps, Capabilities } from '../../../src/env.ts'
import type { NodeModuleEntry } from '../../../src/node/module.ts'
import { loadNodeModules, NODE_MODULES } from '../../../src/node/mount.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import echoModule, { events } from '../../fixtures/echo-module.ts'

const nodeCaps: Capabilities = { runtime: 'node', childProcess: true, fs: true, webSocketServer: true }
const workerd: Capabilities = { runtime: 'workerd', childProcess: false, fs: false, webSocketServer: false }

function deps(capabilities: Capabilities = nodeCaps, env: Record<string, string> = {}): AppDeps {
  return {
    config: resolveConfig({ env: { FLOWGATE_AUTH_MODE: 'none', ...env } }).config,
    logger: createLogger({ level: 'silent' }),
    capabilities,
  }
}

const echoEntry: NodeModuleEntry = {
  name: 'echo',
  needs: ['childProcess'],
  enabled: () => true,
  load: async () => (await import('../../fixtures/echo-module.ts')).default,
}

describe('loadNodeModules', () => {
  it('loads an enabled module by dynamic import', async () => {
    const d = deps()
    const loaded = await loadNodeModules(d.config, d.capabilities, d.logger, [echoEntry])
    expect(loaded.modules.map((module) => module.name)).toEqual(['echo'])
  })

  it('skips a module whose capability the runtime lacks, without loading it', async () => {
    const load = vi.fn(echoEntry.load)
    const d = deps(workerd)
    const loaded = await loadNodeModules(d.config, d.capabilities, d.logger, [{ ...echoEntry, load }])
    expect(load).not.toHaveBeenCalled()
    expect(loaded.skipped).toEqual([{ name: 'echo', reason: 'runtime workerd lacks childProcess' }])
  })

  it('skips a module its settings switch off, without loading it', async () => {
    const load = vi.fn(echoEntry.load)
    const d = deps()
    const loaded = await loadNodeModules(d.config, d.capabilities, d.logger, [
      { ...echoEntry, enabled: () => false, load },
    ])
    expect(load).not.toHaveBeenCalled()
    expect(loaded.skipped[0]?.reason).toBe('disabled by configuration')
  })

  it('ships the entries of the modules that exist', () => {
    expect(NODE_MODULES.map((entry) => entry.name)).toEqual(['exec'])
  })

  it('mounts exec only when exec.enabled is set, and only with child processes and a filesystem', () => {
    const exec = NODE_MODULES.find((entry) => entry.name === 'exec')
    expect(exec?.needs).toEqual(['childProcess', 'fs'])
    expect(exec?.enabled(resolveConfig({ env: {} }).config)).toBe(false)
    expect(exec?.enabled(resolveConfig({ env: { FLOWGATE_EXEC_ENABLED: 'true' } }).config)).toBe(true)
  })
})

describe('composeApp', () => {
  it('gives a module its router, options, checks, shared identity and hooks', async () => {
    const d = deps()
    const composed = composeApp(createApp(d), d, [echoModule])
    expect(composed.mounted).toEqual(['echo'])
    expect(await (await composed.app.request('/echo/child')).text()).toBe('from a child process')
    expect(await (await composed.app.request('/echo/greeting')).text()).toBe('hello from 127.0.0.1')
    expect(await (await composed.app.request('/echo/who')).text()).toBe('default')
    expect(composed.readiness.names).toContain('echo-module')
    events.length = 0
    await composed.start()
    await composed.stop()
    await composed.stop()
    expect(events).toEqual(['started', 'stopped last registered', 'stopped first registered'])
  })

  it('puts a module where its listener asks (exec serve at the root)', async () => {
    const d = deps()
    const composed = composeApp(createApp(d), d, [{ module: echoModule, prefix: '' }])
    expect((await composed.app.request('/child')).status).toBe(200)
    expect((await composed.app.request('/echo/child')).status).toBe(404)
  })

  it('does not mount a module whose capability the runtime lacks', async () => {
    const d = deps(workerd)
    const composed = composeApp(createApp(d), d, [echoModule])
    expect(composed.mounted).toEqual([])
    expect(composed.skipped).toEqual([{ name: 'echo', reason: 'runtime workerd lacks childProcess' }])
    expect((await composed.app.request('/echo/child')).status).toBe(404)
  })

  it('answers intercepted requests before the router, and records them', async () => {
    const d = deps()
    const composed = composeApp(createApp(d), d, [
      {
        name: 'fast',
        prefix: '',
        enabled: () => true,
        options: () => ({}),
        register(ctx) {
          ctx.intercept({
            accepts: (request) => new URL(request.url).pathname === '/fast',
            serve: async () => {
              ctx.recordRequest('GET', '/fast', 200, 0.001)
              return new Response('fast')
            },
          })
        },
      },
    ])
    expect(await (await composed.app.request('/fast')).text()).toBe('fast')
    expect(await (await composed.app.request('/metrics')).text()).toContain('route="/fast",status="200"} 1')
  })
})
