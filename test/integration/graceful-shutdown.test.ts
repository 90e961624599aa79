import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { serveNode } from '../../src/runtime/node/node.ts'

function config(graceMs: number) {
  return resolveConfig({
    env: {
      FLOWGATE_SERVER_PORT: '0',
      FLOWGATE_TASK_PROXY_PORT: '0',
      FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: String(graceMs),
      FLOWGATE_LOG_LEVEL: 'silent',
    },
  }).config
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('graceful shutdown of the Node entry', () => {
  it('lets an in-flight request finish, then refuses new connections', async () => {
    const server = await serveNode({ config: config(5_000), logger: createLogger({ level: 'silent' }) })
    server.flowgate.app.get('/slow', async (c) => {
      await sleep(600)
      return c.text('finished')
    })
    const inFlight = fetch(`${server.url}/slow`)
    await sleep(150)
    const closed = server.close()
    const response = await inFlight
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('finished')
    await closed
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow()
  })

  it('cuts requests still running when the grace period ends', async () => {
    const server = await serveNode({ config: config(300), logger: createLogger({ level: 'silent' }) })
    server.flowgate.app.get('/hang', async (c) => {
      await sleep(20_000)
      return c.text('too late')
    })
    const hanging = fetch(`${server.url}/hang`).then(
      () => 'answered',
      () => 'cut'
    )
    await sleep(100)
    const started = Date.now()
    await server.close()
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(await hanging).toBe('cut')
  })
})
