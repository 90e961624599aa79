/** @module Builds an in-process app with the exec module mounted on a fixture root, for unit tests. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import { resolveConfig } from '../../../../src/config/resolve.ts'
import type { AppDeps } from '../../../../src/env.ts'
import { createExecModule, type MountedExec } from '../../../../src/node/exec/index.ts'
import { createLogger } from '../../../../src/ops/logger.ts'
import { createMainApp } from '../../../../src/portable.ts'
import type { TestApp } from '../../app-harness.ts'

export interface ExecTestApp extends TestApp {
  exec: MountedExec
  /** POST a JSON body (or none) to /exec/<name>. */
  run(name: string, body?: unknown, headers?: Record<string, string>): Promise<Response>
  audits(): Array<Record<string, unknown>>
}

/** `env` holds FLOWGATE_* settings; exec is enabled with auth off unless they say otherwise. */
export function buildExecApp(
  root: string | undefined,
  env: Record<string, string> = {},
  options: { host?: string; processEnv?: Record<string, string>; now?: () => number } = {}
): ExecTestApp {
  const { config } = resolveConfig({
    env: {
      FLOWGATE_EXEC_ENABLED: 'true',
      FLOWGATE_EXEC_AUTH: 'none',
      // The listener's address: exec's auth = "none" needs a loopback one.
      FLOWGATE_SERVER_HOST: options.host ?? '127.0.0.1',
      ...(root ? { FLOWGATE_EXEC_ROOT: root } : {}),
      ...env,
    },
  })
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) })
  const deps: AppDeps = {
    config,
    logger,
    capabilities: { runtime: 'node', childProcess: true, fs: true, webSocketServer: false },
  }
  let exec: MountedExec | undefined
  const module = createExecModule(
    { env: options.processEnv ?? {}, ...(options.now ? { now: options.now } : {}) },
    (mounted) => {
      exec = mounted
    }
  )
  const flowgate = createMainApp(deps, [module])
  if (!exec) throw new Error('exec was not mounted')
  const logs = () => lines.map((line) => JSON.parse(line) as ReturnType<TestApp['logs']>[number])
  return {
    ...flowgate,
    exec: exec as MountedExec,
    lines,
    logs,
    audits: () => logs().filter((line) => line.msg === 'exec audit'),
    run: async (name, body, headers = {}) =>
      await flowgate.app.request(`/exec/${name}`, {
        method: 'POST',
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
  }
}

export interface NodeServed {
  port: number
  /** Closes every connection (held ones too) and the server. */
  close(): Promise<void>
}

/** Serves `fetch` over real HTTP with @hono/node-server on a free loopback port. */
export async function serveOnNode(
  fetch: (request: Request) => Response | Promise<Response>
): Promise<NodeServed> {
  const server = await new Promise<Server>((resolve) => {
    const created = serve({ fetch, hostname: '127.0.0.1', port: 0 }, () => resolve(created as Server))
  })
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
