/**
 * @module TEMPORARY, for the A/B of issue 15 item 7: which engine client the Node entry uses,
 * from AB_ENGINE_CLIENT (`own`: node:http; `undici-fetch`: undici's fetch as the forwarder;
 * anything else: undici's request). Removed once the benchmark has decided.
 */
import { Agent, fetch as undiciFetchApi } from 'undici'
import * as own from './node-engine-get.ts'
import { createNodeFetch } from './node-fetch.ts'
import * as undici from './undici-engine-get.ts'
import { createUndiciFetch } from './undici-fetch.ts'

const choice = process.env.AB_ENGINE_CLIENT ?? 'undici'

export const engineOrigin = (
  choice === 'own' ? own.engineOrigin : undici.engineOrigin
) as typeof undici.engineOrigin
export const engineGet = (choice === 'own' ? own.engineGet : undici.engineGet) as typeof undici.engineGet

export function createForwarder() {
  if (choice === 'own') return createNodeFetch() as unknown as ReturnType<typeof createUndiciFetch>
  if (choice !== 'undici-fetch') return createUndiciFetch()
  const agent = new Agent({ connections: 256, keepAliveTimeout: 4_000 })
  const fetch = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetchApi(
      input as string,
      { redirect: 'manual', ...init, dispatcher: agent } as never
    )) as unknown as typeof globalThis.fetch
  return { fetch, agent: () => agent, close: () => void agent.destroy().catch(() => {}) }
}
