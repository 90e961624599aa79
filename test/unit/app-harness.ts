/** @module Builds an in-process app with a capturing logger, for the HTTP-level unit tests. */
import type { FlowgateApp } from '../../src/app.ts'
import { resolveConfig } from '../../src/config/resolve.ts'
import type { Capabilities } from '../../src/env.ts'
import type { Problem } from '../../src/errors.ts'
import { createLogger, type LogLevel } from '../../src/ops/logger.ts'
import { createMainApp } from '../../src/portable.ts'

export const CAPABILITIES: Capabilities = Object.freeze({
  runtime: 'node',
  childProcess: false,
  fs: false,
  webSocketServer: false,
})

/** One parsed log line; the fields every line has are typed, the rest are free. */
export interface LogLine extends Record<string, unknown> {
  time: string
  level: LogLevel
  msg: string
}

export interface TestApp extends FlowgateApp {
  /** Raw lines as the sink received them. */
  lines: string[]
  logs(): LogLine[]
}

/** An app configured from `env` (FLOWGATE_* names), logging at debug into memory. */
export function buildApp(env: Record<string, string> = {}): TestApp {
  const { config } = resolveConfig({ env })
  const lines: string[] = []
  const logger = createLogger({ level: 'debug', sink: (line) => lines.push(line) })
  const flowgate = createMainApp({ config, logger, capabilities: CAPABILITIES })
  return { ...flowgate, lines, logs: () => lines.map((line) => JSON.parse(line) as LogLine) }
}

/** The problem+json body of a response, checking its media type first. */
export async function problemOf(response: Response): Promise<Problem> {
  const type = response.headers.get('content-type')
  if (type !== 'application/problem+json') throw new Error(`expected problem+json, got ${type}`)
  return (await response.json()) as Problem
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
