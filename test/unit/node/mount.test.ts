import { describe, expect, it, vi } from 'vitest'
import { createApp } from '../../../src/app.ts'
import { resolveConfig } from '../../../src/config/resolve.ts'
import type { AppDeps, Capabilities } from '../../../src/env.ts'
import { mountNodeModules, NODE_MODULES, type NodeModuleEntry } from '../../../src/node/mount.ts'
import { createLogger } from '../../../src/ops/logger.ts'
import { stopped } from '../../fixtures/echo-module.ts'

const nodeCaps: Capabilities = { runtime: 'node', childProcess: true, fs: true, webSocketServer: true }

function deps(capabilities: Capabilities = nodeCaps): AppDeps {
  return {
    config: resolveConfig({ env: {} }).config,
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

describe('mountNodeModules', () => {
  it('loads an enabled module by dynamic import and serves its routes and checks', async () => {
    const d = deps()
    const flowgate = createApp(d)
    const report = await mountNodeModules(flowgate, d, [echoEntry])
    expect(report.mounted).toEqual(['echo'])
    const response = await flowgate.app.request('/__echo-module')
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('from a child process')
    expect(flowgate.readiness.names).toContain('echo-module')
    await Promise.all(report.stops.map((stop) => stop()))
    expect(stopped).toContain('echo-module')
  })

  it('skips a module whose capability the runtime lacks, without loading it', async () => {
    const load = vi.fn(echoEntry.load)
    const d = deps({ runtime: 'workerd', childProcess: false, fs: false, webSocketServer: false })
    const flowgate = createApp(d)
    const report = await mountNodeModules(flowgate, d, [{ ...echoEntry, load }])
    expect(load).not.toHaveBeenCalled()
    expect(report.mounted).toEqual([])
    expect(report.skipped).toEqual([{ name: 'echo', reason: 'runtime workerd lacks childProcess' }])
    expect((await flowgate.app.request('/__echo-module')).status).toBe(404)
  })

  it('skips a module its settings switch off, without loading it', async () => {
    const load = vi.fn(echoEntry.load)
    const d = deps()
    const report = await mountNodeModules(createApp(d), d, [{ ...echoEntry, enabled: () => false, load }])
    expect(load).not.toHaveBeenCalled()
    expect(report.skipped[0]?.reason).toBe('disabled by configuration')
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
