/** @module Small helpers to run a command to completion and to find programs on PATH. */
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { delimiter, join } from 'node:path'

export interface CommandResult {
  code: number | null
  output: string
}

export interface CommandOptions {
  cwd?: string
  env?: Record<string, string>
  /** Also copy the output to this process's stdout as it comes (apt-get, mvn progress). */
  echo?: boolean
  /** Kill the command (SIGKILL) when it runs longer than this. */
  timeoutMs?: number
}

/** Runs a command to completion; never rejects for a non-zero exit (the caller decides). */
export function runCommand(
  command: string,
  args: string[],
  options: CommandOptions = {}
): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs,
      killSignal: 'SIGKILL',
    })
    let output = ''
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
      if (options.echo) process.stdout.write(chunk)
    }
    child.stdout.on('data', collect)
    child.stderr.on('data', collect)
    child.on('error', (error) => resolve({ code: null, output: `${output}${error.message}` }))
    child.on('close', (code) => resolve({ code, output }))
  })
}

/** Runs a command and throws with its output when it fails. */
export async function mustRun(
  command: string,
  args: string[],
  options: CommandOptions = {}
): Promise<string> {
  const result = await runCommand(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} failed (exit ${result.code}):\n${lastLines(result.output, 40)}`
    )
  }
  return result.output
}

/** Full path of an executable found on PATH, or undefined. */
export function which(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this directory
    }
  }
  return undefined
}

export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n')
}
