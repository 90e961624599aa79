/**
 * @module TEMPORARY, for the A/B of issue 15 item 7: the Bun pass-through's engine client from
 * AB_ENGINE_CLIENT (`own`: the Bun.connect pool; `fetch`: Bun's fetch; `undici`: the undici
 * package, imported by file since Bun answers `undici` with its own stand-in). Removed once the
 * benchmark has decided.
 */
import { Readable } from 'node:stream'
// The package's entry file, so that Bun loads the package and not its stand-in.
import { Agent, type Dispatcher } from 'undici/index.js'
import {
  createEnginePool,
  type EngineAnswer,
  type EnginePool,
  type EnginePoolOptions,
} from './bun-engine-pool.ts'

const choice = process.env.AB_ENGINE_CLIENT ?? 'own'

export function createEngineClient(options: EnginePoolOptions): EnginePool {
  if (choice === 'fetch') return fetchClient(options)
  if (choice === 'undici') return undiciClient(options)
  return createEnginePool(options)
}

const READ_WHOLE = 64 * 1024

function deadline(timeoutMs: number, signal: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs)
  return signal ? AbortSignal.any([signal, timeout]) : timeout
}

function known(headers: Record<string, string>): boolean {
  const length = headers['content-length']
  return length !== undefined && headers['transfer-encoding'] === undefined && Number(length) <= READ_WHOLE
}

function fetchClient(options: EnginePoolOptions): EnginePool {
  const origin = `http://${options.host}`
  return {
    async get(target, headers, timeoutMs, signal) {
      let response: Response
      try {
        response = await fetch(`${origin}${target}`, {
          headers,
          signal: deadline(timeoutMs, signal),
          redirect: 'manual',
          decompress: false,
        } as RequestInit)
      } catch (error) {
        if ((error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError') throw error
        throw new TypeError('fetch failed', { cause: error })
      }
      const record: Record<string, string> = {}
      for (const [name, value] of response.headers) record[name] = value
      const body =
        response.status === 204 || response.status === 304 || response.body === null
          ? new Uint8Array(0)
          : known(record)
            ? new Uint8Array(await response.arrayBuffer())
            : (response.body as ReadableStream<Uint8Array>)
      return { status: response.status, headers: record, body }
    },
    close() {},
  }
}

function undiciClient(options: EnginePoolOptions): EnginePool {
  const agent = new Agent({ connections: options.maxSockets ?? 256, keepAliveTimeout: 4_000 })
  const origin = `http://${options.host}`
  return {
    async get(target, headers, timeoutMs, signal) {
      const cut = deadline(timeoutMs, signal)
      let answer: Dispatcher.ResponseData
      try {
        answer = await agent.request({ origin, path: target, method: 'GET', headers, signal: cut })
      } catch (error) {
        if (cut.aborted) throw cut.reason
        throw new TypeError('fetch failed', { cause: error })
      }
      const record: Record<string, string> = {}
      for (const [name, value] of Object.entries(answer.headers)) {
        if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value
      }
      let body: EngineAnswer['body']
      if (answer.statusCode === 204 || answer.statusCode === 304) {
        answer.body.resume()
        body = new Uint8Array(0)
      } else if (known(record)) {
        try {
          body = new Uint8Array(await answer.body.arrayBuffer())
        } catch (error) {
          if (cut.aborted) throw cut.reason
          throw new TypeError('fetch failed', { cause: error })
        }
      } else body = Readable.toWeb(answer.body as Readable) as unknown as ReadableStream<Uint8Array>
      return { status: answer.statusCode, headers: record, body }
    },
    close() {
      void agent.destroy().catch(() => {})
    },
  }
}
