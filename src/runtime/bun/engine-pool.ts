/**
 * @module The Bun entry's client for the task proxy's direct pass-through (bun-pass-through.ts):
 * body-less GETs to a plain-http engine over a pool of `Bun.connect` keep-alive sockets (each
 * call's request head and answer: bun-engine-call.ts, over http1-response-reader.ts). Bun's fetch
 * and the undici package both spend more CPU per call than this on the engine's small answers
 * (docs/PERFORMANCE.md), and a worker fleet's pass-through is mostly such calls. Per call: a deadline (a `TimeoutError`), the caller's abort signal, one
 * retry when a kept-alive socket turns out closed before any byte of the answer came; an answer
 * of known length up to `readWhole` bytes is read whole, any other streams with backpressure (the
 * socket is paused while the reader is behind). A socket is reused only after an answer read
 * whole that allows it; anything odd closes it.
 */
import type { Socket } from 'bun'
import {
  answerReader,
  type EngineAnswer,
  type EngineCall,
  failCall,
  newCall,
  requestHead,
} from './engine-call.ts'
import type { AnswerReader } from './http1-response-reader.ts'

export type { EngineAnswer } from './engine-call.ts'

export interface EnginePoolOptions {
  hostname: string
  port: number
  /** The Host header sent. */
  host: string
  /** Sockets open at once (busy and idle); further calls wait for one. */
  maxSockets?: number
  /** Idle sockets kept; an idle one is closed after `idleMs`. */
  maxIdle?: number
  idleMs?: number
  /** Answers of known length up to this size are read whole. */
  readWhole?: number
}

export interface EnginePool {
  /** Sends `GET target` (the request target: path and query) with `headers` (lower-case names, no Host). */
  get(
    target: string,
    headers: Record<string, string>,
    timeoutMs: number,
    signal?: AbortSignal
  ): Promise<EngineAnswer>
  /** Closes every socket; calls in flight fail. */
  close(): void
}

interface Connection {
  socket: Socket<Connection> | undefined
  call: Call | undefined
  /** Whether it has carried an answer before (a failure before any answer byte is then retried). */
  reused: boolean
  idleTimer: ReturnType<typeof setTimeout> | undefined
}

type Call = EngineCall<Connection>

const encoder = new TextEncoder()

export function createEnginePool(options: EnginePoolOptions): EnginePool {
  const maxSockets = options.maxSockets ?? 256
  const maxIdle = options.maxIdle ?? 64
  const idleMs = options.idleMs ?? 4_000
  const readWhole = options.readWhole ?? 64 * 1024
  const idle: Connection[] = []
  const waiting: Array<{ resolve(connection: Connection): void; reject(error: unknown): void }> = []
  const open = new Set<Connection>()
  let closed = false

  const handlers = {
    data(socket: Socket<Connection>, data: Buffer) {
      const connection = socket.data
      const call = connection.call
      if (!call || call.over) {
        // Bytes nobody asked for: the connection is out of step.
        socket.terminate()
        return
      }
      call.answered = true
      try {
        // Bytes past the end of the answer: the engine is out of step, the socket goes (even if
        // the answer's end already gave it back to the pool).
        if ((call.reader as AnswerReader).push(data) < data.byteLength) socket.terminate()
      } catch (error) {
        fail(connection, call, new TypeError('fetch failed', { cause: error }))
        socket.terminate()
      }
    },
    drain(socket: Socket<Connection>) {
      const call = socket.data.call
      if (call?.unwritten) writeRest(socket, call)
    },
    close(socket: Socket<Connection>, error?: Error) {
      dropped(socket.data, error)
    },
    error(socket: Socket<Connection>, error: Error) {
      dropped(socket.data, error)
    },
    end(socket: Socket<Connection>) {
      // The engine closed its side: `close` follows, which ends a body read until close, retries
      // a call on a stale kept socket, or fails it.
      socket.terminate()
    },
    connectError(socket: Socket<Connection>, error: Error) {
      dropped(socket.data, error)
    },
  }

  /** The socket is gone: a call on it fails (or is sent again, once, if it was a stale kept socket). */
  function dropped(connection: Connection, error: Error | undefined) {
    if (!open.delete(connection)) return
    clearTimeout(connection.idleTimer)
    const at = idle.indexOf(connection)
    if (at !== -1) idle.splice(at, 1)
    const call = connection.call
    connection.call = undefined
    if (call && !call.over) {
      if (connection.reused && !call.answered && !call.retried && !call.signal?.aborted) {
        call.retried = true
        call.unwritten = undefined
        assign(call)
      } else if (error) {
        // Reset, not closed: even a body read until close is cut short.
        failCall(call, new TypeError('fetch failed', { cause: error }))
      } else {
        try {
          call.reader?.end()
        } catch (cause) {
          failCall(call, new TypeError('fetch failed', { cause }))
        }
      }
    }
    wakeWaiter()
  }

  /** A place freed: the first waiting call gets a new socket (or the error of making one). */
  function wakeWaiter() {
    const next = waiting.shift()
    if (!next) return
    if (closed) next.reject(new Error('the client is closed'))
    else connect().then(next.resolve, next.reject)
  }

  function connect(): Promise<Connection> {
    const connection: Connection = { socket: undefined, call: undefined, reused: false, idleTimer: undefined }
    open.add(connection)
    return Bun.connect<Connection>({
      hostname: options.hostname,
      port: options.port,
      data: connection,
      socket: handlers,
    }).then(
      (socket) => {
        connection.socket = socket
        socket.setNoDelay(true)
        return connection
      },
      (error: unknown) => {
        if (open.delete(connection)) wakeWaiter()
        throw error
      }
    )
  }

  /** An idle socket, a new one, or a place in the queue. */
  function acquire(): Promise<Connection> {
    if (closed) return Promise.reject(new Error('the client is closed'))
    const connection = idle.pop()
    if (connection) {
      clearTimeout(connection.idleTimer)
      return Promise.resolve(connection)
    }
    if (open.size < maxSockets) return connect()
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject })
    })
  }

  function release(connection: Connection) {
    connection.call = undefined
    connection.reused = true
    const socket = connection.socket
    if (!socket || closed) {
      socket?.terminate()
      return
    }
    // A streamed body may have left it paused (backpressure); the next answer must flow.
    socket.resume()
    const next = waiting.shift()
    if (next) {
      next.resolve(connection)
      return
    }
    if (idle.length >= maxIdle) {
      socket.terminate()
      return
    }
    idle.push(connection)
    connection.idleTimer = setTimeout(() => socket.terminate(), idleMs)
  }

  function assign(call: Call) {
    acquire().then(
      (connection) => {
        if (call.over) {
          release(connection)
          return
        }
        // Closed while it was being handed over: another one.
        if (!open.has(connection)) {
          assign(call)
          return
        }
        connection.call = call
        call.connection = connection
        call.reader = answerReader(call, readWhole, {
          pause: () => connection.socket?.pause(),
          resume: () => connection.socket?.resume(),
          done: (reuse) => (reuse ? release(connection) : connection.socket?.terminate()),
          abandoned: () => {
            if (connection.call === call) connection.socket?.terminate()
          },
        })
        const socket = connection.socket as Socket<Connection>
        const bytes = encoder.encode(call.request)
        const written = socket.write(bytes)
        if (written < bytes.byteLength) call.unwritten = bytes.subarray(Math.max(0, written))
      },
      (error: unknown) => failCall(call, new TypeError('fetch failed', { cause: error }))
    )
  }

  function writeRest(socket: Socket<Connection>, call: Call) {
    const rest = call.unwritten as Uint8Array
    const written = socket.write(rest)
    call.unwritten = written < rest.byteLength ? rest.subarray(Math.max(0, written)) : undefined
  }

  /** Fails a call and frees its connection of it (the socket is not reused: the caller ends it). */
  function fail(connection: Connection | undefined, call: Call, error: unknown) {
    if (connection?.call === call) connection.call = undefined
    failCall(call, error)
  }

  return {
    get(target, headers, timeoutMs, signal) {
      signal?.throwIfAborted()
      const request = requestHead(target, options.host, headers)
      return new Promise<EngineAnswer>((resolve, reject) => {
        const call: Call = newCall(request, signal, { resolve, reject })
        const cut = (reason: unknown) => {
          const connection = call.connection
          fail(connection, call, reason)
          connection?.socket?.terminate()
        }
        call.onAbort = () => cut(signal?.reason)
        call.timer = setTimeout(
          () => cut(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
          timeoutMs
        )
        signal?.addEventListener('abort', call.onAbort, { once: true })
        assign(call)
      })
    },
    close() {
      closed = true
      const gone = new Error('the client is closed')
      for (const next of waiting.splice(0)) next.reject(gone)
      for (const connection of open) connection.socket?.terminate()
    },
  }
}
