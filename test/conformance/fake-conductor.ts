/**
 * @module An in-process stand-in for Conductor OSS 3.x behind the gateway's injected `fetch`: it
 * keeps definitions, executions, tasks, queues and event handlers in memory, answers the way the
 * real server does (JSON `{status, message}` errors, text ids, 204 on an empty poll), and records
 * every request so tests can check what reached the engine. Web APIs only, so it runs on every
 * runtime the conformance suite covers.
 */

import { routeConductor } from './fake-conductor-routes.ts'

export type Json = Record<string, unknown>

/** One request as the fake received it. */
export interface RecordedRequest {
  method: string
  path: string
  query: URLSearchParams
  headers: Headers
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown
}

export interface FakeConductorOptions {
  /** Answers instead of the built-in routes when it returns a response. */
  override?: (request: RecordedRequest) => Response | undefined
}

/** The fetch signature the gateway calls (Bun's `typeof fetch` also wants `preconnect`). */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

export interface FakeConductor {
  fetch: FetchFunction
  requests: RecordedRequest[]
  /** Every definition version by Conductor name (`T___wf`). */
  defs: Map<string, Map<number, Json>>
  taskDefs: Map<string, Json>
  executions: Map<string, Json>
  tasks: Map<string, Json>
  events: Map<string, Json>
  /** Queue name (`domain:taskType`) → waiting tasks. */
  queues: Map<string, Json[]>
  /** Connection refused from now on. */
  down: boolean
  /** Milliseconds before answering (the request's signal still aborts the wait). */
  delayMs: number
  /** Requests whose signal aborted while the fake was waiting. */
  aborted: RecordedRequest[]
  override: FakeConductorOptions['override']
  addDef(def: Json): void
  addExecution(execution: Json): Json
  addTask(task: Json, queue?: string): Json
  /** The recorded requests, filtered by method and by path (exact or a pattern). */
  calls(method?: string, path?: string | RegExp): RecordedRequest[]
}

async function bodyOf(init: RequestInit | undefined): Promise<unknown> {
  if (init?.body === undefined || init.body === null) return undefined
  const raw = await new Response(init.body).text()
  if (raw === '') return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return raw
  }
}

function wait(ms: number, signal: AbortSignal | null | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason)
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(signal.reason)
    })
  })
}

export function createFakeConductor(options: FakeConductorOptions = {}): FakeConductor {
  let nextId = 1
  const id = (kind: string) => `${kind}-${String(nextId++).padStart(4, '0')}-0000-4000-8000-000000000000`

  const fake: FakeConductor = {
    requests: [],
    defs: new Map(),
    taskDefs: new Map(),
    executions: new Map(),
    tasks: new Map(),
    events: new Map(),
    queues: new Map(),
    down: false,
    delayMs: 0,
    aborted: [],
    override: options.override,
    addDef(def) {
      const name = String(def.name)
      const versions = fake.defs.get(name) ?? new Map<number, Json>()
      versions.set(Number(def.version ?? 1), { schemaVersion: 2, version: 1, ...def })
      fake.defs.set(name, versions)
    },
    addExecution(execution) {
      const workflowId = String(execution.workflowId ?? id('wf'))
      const stored: Json = {
        workflowVersion: 1,
        status: 'RUNNING',
        startTime: 1_700_000_000_000,
        tasks: [],
        input: {},
        output: {},
        ...execution,
        workflowId,
      }
      fake.executions.set(workflowId, stored)
      return stored
    },
    addTask(task, queue) {
      const taskId = String(task.taskId ?? id('task'))
      const stored: Json = { status: 'SCHEDULED', ...task, taskId }
      fake.tasks.set(taskId, stored)
      if (queue) fake.queues.set(queue, [...(fake.queues.get(queue) ?? []), stored])
      return stored
    },
    calls(method, path) {
      return fake.requests.filter(
        (request) =>
          (method === undefined || request.method === method) &&
          (path === undefined || (typeof path === 'string' ? request.path === path : path.test(request.path)))
      )
    },
    fetch: async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input))
      const request: RecordedRequest = {
        method: (init?.method ?? 'GET').toUpperCase(),
        path: decodeURIComponent(url.pathname),
        query: url.searchParams,
        headers: new Headers(init?.headers),
        body: await bodyOf(init),
      }
      fake.requests.push(request)
      if (fake.down) throw new TypeError('fetch failed: connect ECONNREFUSED')
      if (fake.delayMs > 0) {
        try {
          await wait(fake.delayMs, init?.signal)
        } catch (error) {
          fake.aborted.push(request)
          throw error
        }
      }
      return fake.override?.(request) ?? routeConductor(fake, request)
    },
  }

  return fake
}
