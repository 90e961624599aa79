/**
 * A module's WebSocket routes on the Node lifecycle, against a real listener on 127.0.0.1:0 and
 * ws's client: the upgrade runs the chain and the route's identity first, each route enforces its
 * own message cap, and shutdown closes every socket with 1001 without waiting on a silent peer.
 */
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { resolveConfig } from '../../src/config/resolve.ts'
import { createLogger } from '../../src/ops/logger.ts'
import { IDLE_SETTLE_MS } from '../../src/runtime/native-drain.ts'
import { type Started, startFlowgate } from '../../src/runtime/node/lifecycle.ts'
import {
  ECHO_CAP,
  type EchoRecord,
  type EchoRoute,
  emptyRecord,
  wsEchoModule,
} from '../fixtures/ws-echo-module.ts'

const USER = { 'x-tenant-id': 'acme', from: 'alice' }

interface Flowgate {
  started: Started
  record: EchoRecord
  /** ws://127.0.0.1:port */
  base: string
  port: number
  /** Log lines written so far. */
  lines: string[]
}

const running: Started[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((started) => started.close()))
})

async function serve(routes?: readonly EchoRoute[], graceMs = 5_000): Promise<Flowgate> {
  const config = resolveConfig({
    env: { FLOWGATE_AUTH_MODE: 'headers', FLOWGATE_SERVER_SHUTDOWN_GRACE_MS: String(graceMs) },
  }).config
  const lines: string[] = []
  const logger = createLogger({ level: 'info', sink: (line) => void lines.push(line) })
  const record = emptyRecord()
  const started = await startFlowgate(config, logger, [
    { name: 'main', kind: 'main', host: '127.0.0.1', port: 0, modules: [wsEchoModule(record, routes)] },
  ])
  running.push(started)
  const url = new URL(started.urls.main as string)
  return { started, record, lines, port: Number(url.port), base: `ws://127.0.0.1:${url.port}` }
}

type Upgrade =
  | { ws: WebSocket }
  | { status: number; body: string; headers: Record<string, string | string[] | undefined> }

/** Opens a socket, or resolves with the answer that refused it. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<Upgrade> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws }))
    ws.once('unexpected-response', (_request, response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => {
        body += chunk
      })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body, headers: response.headers }))
    })
    ws.once('error', reject)
  })
}

async function opened(url: string, headers: Record<string, string> = USER): Promise<WebSocket> {
  const outcome = await upgrade(url, headers)
  if (!('ws' in outcome)) throw new Error(`refused with ${outcome.status}: ${outcome.body}`)
  return outcome.ws
}

async function refused(url: string, headers: Record<string, string> = USER) {
  const outcome = await upgrade(url, headers)
  if ('ws' in outcome) throw new Error('upgraded')
  return outcome
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  )
}

/** The next `count` messages the socket receives, as text. */
function received(ws: WebSocket, count: number): Promise<string[]> {
  return new Promise((resolve) => {
    const messages: string[] = []
    const onMessage = (data: WebSocket.RawData) => {
      messages.push(data.toString())
      if (messages.length === count) {
        ws.off('message', onMessage)
        resolve(messages)
      }
    }
    ws.on('message', onMessage)
  })
}

describe('WebSocket routes on the Node listener', () => {
  it('answers an unauthenticated upgrade with the 401 problem and never upgrades', async () => {
    const flowgate = await serve()
    const answer = await refused(`${flowgate.base}/ws/echo`, {})
    expect(answer.status).toBe(401)
    expect(answer.headers['content-type']).toBe('application/problem+json')
    expect(answer.headers['www-authenticate']).toContain('Bearer')
    const problem = JSON.parse(answer.body)
    expect(problem.code).toBe('FG_ERR_AUTH_UNAUTHENTICATED')
    expect(problem.requestId).toBe(answer.headers['x-request-id'])
    expect(flowgate.record.accepted).toBe(0)
    // The refusal went through the chain: it has its access line.
    expect(
      flowgate.lines.some((line) => line.includes('"msg":"request"') && line.includes('"status":401'))
    ).toBe(true)
  })

  it('echoes text to an authenticated client, with the request id on the handshake', async () => {
    const flowgate = await serve()
    const outcome = await new Promise<{ ws: WebSocket; requestId: unknown }>((resolve, reject) => {
      const ws = new WebSocket(`${flowgate.base}/ws/echo`, { headers: USER })
      ws.once('upgrade', (response) => resolve({ ws, requestId: response.headers['x-request-id'] }))
      ws.once('error', reject)
    })
    expect(outcome.requestId).toMatch(/.+/)
    const { ws } = outcome
    const echo = received(ws, 1)
    ws.send('hello')
    expect(await echo).toEqual(['hello'])
    expect(flowgate.record.opened).toBe(1)
    ws.close(1000, 'done')
    await closed(ws)
    await expect.poll(() => flowgate.record.closes).toEqual([{ code: 1000, reason: 'done' }])
  })

  it('delivers many messages in order', async () => {
    const flowgate = await serve()
    const ws = await opened(`${flowgate.base}/ws/echo`)
    const sent = Array.from({ length: 300 }, (_, at) => `message ${at} ${'.'.repeat(at % 17)}`)
    const echoes = received(ws, sent.length)
    for (const message of sent) ws.send(message)
    expect(await echoes).toEqual(sent)
    ws.close()
  })

  it('accepts a message of exactly the cap', async () => {
    const flowgate = await serve()
    const ws = await opened(`${flowgate.base}/ws/echo`)
    const echo = received(ws, 1)
    ws.send('x'.repeat(ECHO_CAP))
    expect((await echo)[0]?.length).toBe(ECHO_CAP)
    ws.close()
  })

  it('closes with 1009 on a message over the cap, which the module never sees', async () => {
    const flowgate = await serve()
    const ws = await opened(`${flowgate.base}/ws/echo`)
    const closing = closed(ws)
    ws.send('x'.repeat(70_000))
    expect((await closing).code).toBe(1009)
    expect(flowgate.record.messages).toEqual([])
    await expect.poll(() => flowgate.record.closes.length).toBe(1)
  })

  it('closes with 1003 on a binary message', async () => {
    const flowgate = await serve()
    const ws = await opened(`${flowgate.base}/ws/echo`)
    const closing = closed(ws)
    ws.send(Buffer.from([1, 2, 3]))
    expect((await closing).code).toBe(1003)
    expect(flowgate.record.messages).toEqual([])
  })

  it('answers a refusal of accept with its problem, and does not upgrade', async () => {
    const flowgate = await serve()
    const answer = await refused(`${flowgate.base}/ws/echo?refuse=1`)
    expect(answer.status).toBe(403)
    expect(JSON.parse(answer.body)).toMatchObject({
      code: 'FG_ERR_RBAC_FORBIDDEN',
      detail: 'refused by the module',
    })
    expect(flowgate.record.opened).toBe(0)
  })

  it('refuses an upgrade to a path no route declared with 404, before the chain', async () => {
    const flowgate = await serve()
    for (const path of ['/ws/other', '/healthz', '/ws/echo/']) {
      const answer = await refused(`${flowgate.base}${path}`)
      expect(answer.status).toBe(404)
      expect(JSON.parse(answer.body).code).toBe('FG_ERR_HTTP_NOT_FOUND')
    }
    expect(flowgate.lines.filter((line) => line.includes('"msg":"request"'))).toEqual([])
  })

  it('answers a plain request to a WebSocket route with 426', async () => {
    const flowgate = await serve()
    const response = await fetch(`http://127.0.0.1:${flowgate.port}/ws/echo`, { headers: USER })
    expect(response.status).toBe(426)
    expect(response.headers.get('upgrade')).toBe('websocket')
    expect((await response.json()).code).toBe('FG_ERR_HTTP_UPGRADE_REQUIRED')
  })

  it('refuses a malformed handshake with 400 without asking the module', async () => {
    const flowgate = await serve()
    const answer = await rawExchange(
      flowgate.port,
      'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\nx-tenant-id: acme\r\nfrom: alice\r\n\r\n'
    )
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(flowgate.record.accepted).toBe(0)
  })

  it('closes every open socket with 1001 on shutdown, and the module hears of it', async () => {
    const flowgate = await serve()
    const sockets = await Promise.all([1, 2, 3].map(() => opened(`${flowgate.base}/ws/echo`)))
    const codes = Promise.all(sockets.map(closed))
    await flowgate.started.close()
    expect((await codes).map((close) => close.code)).toEqual([1001, 1001, 1001])
    await expect.poll(() => flowgate.record.closes.map((close) => close.code)).toEqual([1001, 1001, 1001])
  })

  it('waits within the grace for a slow peer to answer the close, not cutting it as an idle connection', async () => {
    const flowgate = await serve()
    const slow = await rawHandshake(flowgate.port)
    slow.once('data', () => {
      // Past the drain's idle settle time, the peer answers 1001 (a masked client frame, RFC 6455 §5.3).
      setTimeout(() => slow.write(Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe9])), IDLE_SETTLE_MS + 300)
    })
    await flowgate.started.close()
    // The server read the answer: the handshake completed (1001, not 1006).
    await expect.poll(() => flowgate.record.closes.map((close) => close.code)).toEqual([1001])
  })

  it('does not wait beyond the grace on a peer that never answers the close', async () => {
    const flowgate = await serve(undefined, 300)
    const silent = await rawHandshake(flowgate.port)
    const gone = new Promise<void>((resolve) => silent.once('close', () => resolve()))
    const frames: Buffer[] = []
    // The peer reads the close frame but never answers it; the grace's deadline must cut it.
    silent.on('data', (chunk: Buffer) => void frames.push(chunk))
    await flowgate.started.close()
    const frame = Buffer.concat(frames)
    // RFC 6455 §5.5.1: 0x88 is a final close frame, its payload opens with the status code.
    expect(frame[0]).toBe(0x88)
    expect(frame.readUInt16BE(2)).toBe(1001)
    await gone
    await expect.poll(() => flowgate.record.closes.length).toBe(1)
  })
})

describe('two WebSocket routes with different caps', () => {
  const routes: EchoRoute[] = [
    { path: '/small', maxMessageBytes: 1_024, identity: false },
    { path: '/large', maxMessageBytes: 64 * 1_024, identity: false },
  ]

  it('enforces each route its own cap', async () => {
    const flowgate = await serve(routes)
    const small = await opened(`${flowgate.base}/ws/small`, {})
    const large = await opened(`${flowgate.base}/ws/large`, {})
    const message = 'y'.repeat(2_048)
    const echo = received(large, 1)
    large.send(message)
    expect(await echo).toEqual([message])
    const closing = closed(small)
    small.send(message)
    expect((await closing).code).toBe(1009)
    // Only the large route's message reached the module.
    expect(flowgate.record.messages).toEqual([2_048])
    large.close()
  })
})

/** Writes `request` on a fresh connection and resolves with everything the server answered. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    let answer = ''
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      answer += chunk
    })
    socket.once('end', () => resolve(answer))
    socket.once('error', reject)
  })
}

/** A WebSocket opened by hand, so that the test decides what the peer (never) answers. */
function rawHandshake(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(
        'GET /ws/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n' +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'x-tenant-id: acme\r\nfrom: alice\r\n\r\n'
      )
    )
    socket.once('data', (chunk: Buffer) => {
      if (chunk.toString('latin1').startsWith('HTTP/1.1 101 ')) resolve(socket)
      else reject(new Error(chunk.toString('latin1')))
    })
    socket.once('error', reject)
  })
}
