/**
 * @module The httpexec response body: `{return, stderr, stdout}` with keys sorted as httpexec sends
 * them, `null` for an uncaptured stream, the `encode` used echoed. `timed_out` and `truncated`
 * are flowgate's additions and appear only when true, so ordinary replies are byte-compatible.
 * Built as byte pieces: output the spawner already escaped as JSON text goes in as its own
 * buffers, neither decoded and stringified again (for 1 MiB that was most of the server's work per
 * run) nor joined into a new buffer (most of its garbage).
 */
import { z } from 'zod'
import { ENCODINGS, type EncodedContent, encodeContent } from './encodings.ts'
import type { OutputSpec } from './request.ts'
import type { RunResult, StreamName } from './run-command.ts'
import { piecesAreUtf8 } from './utf8-pieces.ts'

export interface ResultBody {
  return: number
  stderr: EncodedContent | null
  stdout: EncodedContent | null
  timed_out?: true
  truncated?: true
}

const streamSchema = z
  .object({ content: z.string(), encode: z.enum(ENCODINGS).nullable() })
  .nullable()
  .describe('null when the stream was not captured')

/** For the OpenAPI document. */
export const resultBodySchema = z.object({
  return: z.number().int().describe('Exit code, or -N when killed by signal N'),
  stderr: streamSchema,
  stdout: streamSchema,
  timed_out: z.literal(true).optional().describe('The run was killed at its timeout'),
  truncated: z
    .literal(true)
    .optional()
    .describe(
      'Output reached exec.max_output_bytes, or all buffered runs reached exec.max_buffered_bytes; the run was killed'
    ),
})

/** `,"stdout":` and the stream's JSON value, as JSON.stringify(ResultBody) writes them, in pieces. */
function streamMember(result: RunResult, name: StreamName, spec: OutputSpec, asText: boolean): Uint8Array[] {
  const key = `,"${name}":`
  if (!spec.capture) return [Buffer.from(`${key}null`)]
  // Output the spawner escaped goes in as it is (its UTF-8 validity is checked on the whole body).
  if (asText)
    return [Buffer.from(`${key}{"content":"`), ...result.output[name], Buffer.from('","encode":null}')]
  const raw = Buffer.concat(result.output[name])
  const bytes = result.text[name] ? unescapeJson(raw) : raw
  return [Buffer.from(key + JSON.stringify(encodeContent(bytes, spec.encode)))]
}

/** The output bytes back from their JSON string text (rare: output that is not UTF-8). */
function unescapeJson(escaped: Buffer): Buffer {
  // Read as Latin-1, every byte is one character, escapes included; JSON.parse undoes only those.
  return Buffer.from(JSON.parse(`"${escaped.toString('latin1')}"`) as string, 'latin1')
}

function build(result: RunResult, stdout: OutputSpec, stderr: OutputSpec, text: boolean): Uint8Array[] {
  return [
    Buffer.from(`{"return":${result.returnCode}`),
    ...streamMember(result, 'stderr', stderr, text && result.text.stderr && stderr.encode === null),
    ...streamMember(result, 'stdout', stdout, text && result.text.stdout && stdout.encode === null),
    Buffer.from(
      `${result.timedOut ? ',"timed_out":true' : ''}${result.truncated ? ',"truncated":true' : ''}}`
    ),
  ]
}

/**
 * The whole response body in pieces (the output's own buffers among them, not joined: for 1 MiB
 * of output, one more 1 MiB buffer per run was most of the server's garbage), byte for byte what
 * JSON.stringify of the ResultBody would give.
 */
export function resultPieces(result: RunResult, stdout: OutputSpec, stderr: OutputSpec): Uint8Array[] {
  const pieces = build(result, stdout, stderr, true)
  // Escaping keeps UTF-8 validity either way, so the body is valid UTF-8 exactly when the output
  // was; if not, httpexec's rule applies (encodeContent: base64 instead), which needs the bytes.
  if (!(result.text.stdout || result.text.stderr) || piecesAreUtf8(pieces)) return pieces
  return build(result, stdout, stderr, false)
}

/** The response body as one buffer. */
export function resultJson(
  result: RunResult,
  stdout: OutputSpec,
  stderr: OutputSpec
): Uint8Array<ArrayBuffer> {
  return Buffer.concat(resultPieces(result, stdout, stderr))
}

/** Below this a reply is joined and written at once; above, its pieces are written one by one. */
const JOIN_BELOW = 64 * 1024

/** The reply body for c.body: one buffer when small, else a stream of the pieces (length known). */
export function replyBody(
  pieces: readonly Uint8Array[],
  length: number
): Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array> {
  if (length < JOIN_BELOW || pieces.length === 1) return Buffer.concat(pieces)
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(piece)
      controller.close()
    },
  })
}
