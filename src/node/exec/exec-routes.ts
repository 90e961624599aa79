/**
 * @module `POST <prefix>/<command path>`: authenticate, validate everything, resolve the command,
 * take a concurrency slot, run it, answer httpexec's JSON (or stream events), write the audit line.
 */
import { Hono } from 'hono'
import type { AppEnv } from '../../env.ts'
import { AppError } from '../../errors.ts'
import { CLIENT_CLOSED } from '../../middleware/errors.ts'
import { type OpenApiRegistry, problemResponse } from '../../ops/openapi.ts'
import type { ProcessRegistry } from '../process/registry.ts'
import type { Spawner } from '../process/spawner.ts'
import { nodeOutgoing } from '../shared/node-bindings.ts'
import { type AuditRecord, audit } from './audit.ts'
import { authenticate, authorize, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './auth.ts'
import { childEnvironment } from './environment.ts'
import { EventStream, STREAM_CONTENT_TYPES, streamFormat } from './event-stream.ts'
import type { Limiter } from './limiter.ts'
import { canSendDirectly, sendPieces } from './node-reply.ts'
import { BlockPool, OutputCopies } from './output-blocks.ts'
import type { OutputBudget } from './output-budget.ts'
import { ClientLeftError, readRequestBody } from './read-body.ts'
import { releaseWhenSent } from './release-when-sent.ts'
import { ReplayGuard } from './replay-guard.ts'
import { applyRule, parseBody, toExecRequest } from './request.ts'
import { execRequestSchema } from './request-schema.ts'
import { resolveCommand, stripLeadingSlashes } from './resolve-command.ts'
import { replyBody, resultBodySchema, resultPieces } from './result-body.ts'
import { type RunResult, runCommand } from './run-command.ts'
import type { ExecSettings } from './settings.ts'

export interface ExecRoutesOptions {
  settings: ExecSettings
  limiter: Limiter
  /** exec.max_buffered_bytes, shared by all buffered runs. */
  budget: OutputBudget
  /** Runs in flight: shutdown kills their groups and waits for them. */
  runs: ProcessRegistry
  openapi: OpenApiRegistry
  /** `/exec` on the main listener, `` for `flowgate exec serve`. */
  prefix: string
  /** How processes are started (the spawn helper on Node); direct by default. */
  spawner?: Spawner
  /** How streaming runs are started (direct, watched by the helper on Node); direct by default. */
  streamSpawner?: Spawner
  now?: () => number
}

export function execRoutes(options: ExecRoutesOptions): Hono<AppEnv> {
  const { settings, limiter, prefix } = options
  const now = options.now ?? Date.now
  const path = `${prefix}/:command{.+}`
  const replays = new ReplayGuard()
  const blocks = new BlockPool()
  const app = new Hono<AppEnv>()
  document(options.openapi, path)

  app.post(path, async (c) => {
    const started = now()
    const format = streamFormat(c.req.header('accept'))
    const requested = stripLeadingSlashes(c.req.param('command') ?? '')
    const record: AuditRecord = {
      requestId: c.var.requestId,
      caller: 'unknown',
      auth: 'none',
      command: requested.slice(0, 200),
      mode: format ?? 'buffered',
      status: 0,
      durationMs: 0,
    }
    const log = (patch: Partial<AuditRecord>) =>
      audit(c.var.logger, { ...record, ...patch, durationMs: now() - started })
    let release: (() => void) | undefined
    let freeShare: (() => void) | undefined
    try {
      let body: Promise<Uint8Array> | undefined
      const readBody = () => {
        body ??= readRequestBody(c)
        return body
      }
      const url = new URL(c.req.url)
      const caller = await authenticate(
        {
          authorization: c.req.header('authorization'),
          origin: c.req.header('origin'),
          fetchSite: c.req.header('sec-fetch-site'),
          hostname: url.hostname,
          timestamp: c.req.header(TIMESTAMP_HEADER),
          signature: c.req.header(SIGNATURE_HEADER),
          method: c.req.method,
          path: url.pathname,
          body: readBody,
          nowMs: now(),
          replays,
        },
        settings
      )
      record.caller = caller.id
      record.auth = caller.method
      authorize(caller, requested)
      const request = toExecRequest(parseBody(await readBody(), c.req.header('content-type')), settings)
      const command = resolveCommand(c.req.param('command') ?? '', settings)
      const args = applyRule(command.rule, request.args)
      Object.assign(record, {
        file: command.file,
        argc: args.length,
        envNames: Object.keys(request.environment),
        stdinBytes: request.stdin?.byteLength ?? 0,
      })
      release = limiter.acquire(command.file)
      const events = format ? new EventStream(format, request) : undefined
      // Streams have backpressure instead: only buffered runs hold their output.
      const share = events ? undefined : options.budget.share()
      freeShare = share?.release
      // Reused memory for the output only where the reply's sending is seen (a Node response):
      // elsewhere nothing says when its blocks could be reused, so the run keeps what it read.
      const outgoing = nodeOutgoing(c.env)
      const copies = share && outgoing ? new OutputCopies(blocks) : undefined
      const run = runCommand({
        file: command.file,
        argv0: command.argv0,
        args,
        env: childEnvironment(settings.baseEnv, request.environment),
        cwd: settings.workdir,
        uid: settings.runAs?.uid,
        gid: settings.runAs?.gid,
        stdin: request.stdin,
        capture: { stdout: request.stdout.capture, stderr: request.stderr.capture },
        // UTF-8 text output may come already escaped for the JSON reply (the native helper does it).
        text: { stdout: request.stdout.encode === null, stderr: request.stderr.encode === null },
        timeoutMs: request.timeoutMs,
        killGraceMs: settings.killGraceMs,
        maxOutputBytes: events ? undefined : settings.maxOutputBytes,
        clientSignal: () => c.req.raw.signal,
        ...(events ? { onChunk: events.onChunk } : {}),
        ...(share
          ? { budget: { share, encode: { stdout: request.stdout.encode, stderr: request.stderr.encode } } }
          : {}),
        ...(copies ? { copies } : {}),
        // Streams fork directly: IPC has no backpressure, and one fork is cheap next to a long stream.
        ...(events
          ? options.streamSpawner && { spawner: options.streamSpawner }
          : options.spawner && { spawner: options.spawner }),
      })
      options.runs.track(run)
      try {
        await run.started
      } catch (error) {
        throw new AppError('FG_ERR_EXEC_SPAWN_FAILED', { cause: error })
      }
      const outcome = (result: RunResult) => ({
        returnCode: result.returnCode,
        signal: result.signal,
        timedOut: result.timedOut,
        truncated: result.truncated,
        stdoutBytes: result.bytes.stdout,
        stderrBytes: result.bytes.stderr,
        clientGone: run.clientLeft() || (events?.cancelled ?? false),
      })
      if (!events) {
        const result = await run.done
        release()
        log({ status: 200, ...outcome(result), ...(result.overBudget ? { overBudget: true } : {}) })
        const pieces = resultPieces(result, request.stdout, request.stderr)
        const length = pieces.reduce((sum, piece) => sum + piece.byteLength, 0)
        // Until it is sent, the reply is what this run holds (a slow reader keeps it in memory).
        share?.settle(length)
        if (share)
          releaseWhenSent(c.env, () => {
            share.release()
            copies?.release()
          })
        freeShare = undefined
        const headers = { 'content-type': 'application/json', 'content-length': String(length) }
        if (outgoing && canSendDirectly) return sendPieces(c, outgoing, pieces, headers)
        return c.body(replyBody(pieces, length), 200, headers)
      }
      events.attach(run)
      const free = release
      void run.done.then(
        (result) => {
          free()
          events.finish({
            return: result.returnCode,
            ...(result.timedOut ? { timed_out: true } : {}),
            ...(result.truncated ? { truncated: true } : {}),
          })
          log({ status: 200, ...outcome(result) })
        },
        (error: unknown) => {
          free()
          events.fail()
          c.var.logger.error('exec stream failed', { error })
          // The status was sent before the run failed: the audit line says both.
          log({ status: 200, code: 'FG_ERR_INTERNAL', clientGone: run.clientLeft() || events.cancelled })
        }
      )
      const headers: Record<string, string> = { 'content-type': STREAM_CONTENT_TYPES[format ?? 'ndjson'] }
      if (format === 'sse') Object.assign(headers, { 'cache-control': 'no-cache', 'x-accel-buffering': 'no' })
      return new Response(events.body, { status: 200, headers })
    } catch (error) {
      release?.()
      freeShare?.()
      if (error instanceof ClientLeftError) {
        // Nobody reads the answer: a debug line and 499 (as the gateway records it), no error.
        log({ status: CLIENT_CLOSED, clientGone: true })
        c.var.logger.debug('client closed the request', { error: error.message })
        return new Response(null, { status: CLIENT_CLOSED })
      }
      const status = error instanceof AppError ? error.status : 500
      log({ status, code: error instanceof AppError ? error.code : 'FG_ERR_INTERNAL' })
      throw error
    }
  })
  return app
}

function document(openapi: OpenApiRegistry, path: string): void {
  openapi.add({
    method: 'post',
    path,
    summary: 'Run a command (httpexec-compatible)',
    tags: ['exec'],
    description:
      'Runs the command at this path under exec.root (or from the exec.commands allow-list). ' +
      '200 means it ran: check `return`. Send `Accept: application/x-ndjson` or `text/event-stream` ' +
      'to stream output events ending with an `exit` event. See docs/EXEC.md.',
    body: { schema: execRequestSchema, required: false },
    responses: {
      200: {
        description: 'The command ran; `return` is its exit code (-N for signal N)',
        schema: resultBodySchema,
      },
      400: problemResponse('A field, header or encoding is invalid; `errors` names each'),
      401: problemResponse('No valid bearer token or signature'),
      403: problemResponse("The credential's scopes do not include this command"),
      404: problemResponse('No such command (outside the root, missing, not executable)'),
      415: problemResponse('A body that is not application/json'),
      429: problemResponse('Too many runs; retry after `Retry-After` seconds'),
      500: problemResponse('The command could not be started'),
    },
  })
}
