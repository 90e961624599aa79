/**
 * @module The httpexec response body: `{return, stderr, stdout}` with keys sorted as httpexec sends
 * them, `null` for an uncaptured stream, the `encode` used echoed. `timed_out` and `truncated`
 * are flowgate's additions and appear only when true, so ordinary replies are byte-compatible.
 */
import { z } from 'zod'
import { ENCODINGS, type EncodedContent, encodeContent } from './encodings.ts'
import type { OutputSpec } from './request.ts'
import type { RunResult, StreamName } from './run-command.ts'

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
  truncated: z.literal(true).optional().describe('Output reached exec.max_output_bytes; the run was killed'),
})

function stream(result: RunResult, name: StreamName, spec: OutputSpec): EncodedContent | null {
  if (!spec.capture) return null
  return encodeContent(Buffer.concat(result.output[name]), spec.encode)
}

export function resultBody(result: RunResult, stdout: OutputSpec, stderr: OutputSpec): ResultBody {
  const body: ResultBody = {
    return: result.returnCode,
    stderr: stream(result, 'stderr', stderr),
    stdout: stream(result, 'stdout', stdout),
  }
  if (result.timedOut) body.timed_out = true
  if (result.truncated) body.truncated = true
  return body
}
