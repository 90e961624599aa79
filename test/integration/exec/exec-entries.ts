/**
 * @module Starts flowgate with exec on a fixture root, on a runtime and an entry — `exec serve`
 * (commands at the root) or `serve` (under /exec, with the task proxy on a free port) — for the
 * integration tests that drive every entry the same way.
 */
import { BIN, freePort, type Running, startServer } from '../processes.ts'

export type ExecEntry = 'exec' | 'main'

/** What comes before the entry file on each runtime's command line. */
const PRE: Record<string, string[]> = { deno: ['run', '-A'] }

/** The server and the base URL its commands live under. */
export async function startExecEntry(
  runtime: string,
  entry: ExecEntry,
  root: string,
  env: Record<string, string>
): Promise<{ server: Running; base: string }> {
  const port = await freePort()
  const pre = PRE[runtime] ?? []
  if (entry === 'exec') {
    const server = await startServer(`${BIN}/${runtime}`, {
      args: [...pre, 'src/cli/main.ts', 'exec', 'serve', '--port', String(port), '--root', root],
      env,
      port,
    })
    return { server, base: server.url }
  }
  const server = await startServer(`${BIN}/${runtime}`, {
    args: [...pre, 'src/cli/main.ts', 'serve', '--port', String(port)],
    env: {
      ...env,
      FLOWGATE_EXEC_ENABLED: 'true',
      FLOWGATE_EXEC_ROOT: root,
      FLOWGATE_AUTH_MODE: 'none',
      FLOWGATE_TASK_PROXY_PORT: String(await freePort()),
    },
    port,
  })
  return { server, base: `${server.url}/exec` }
}
