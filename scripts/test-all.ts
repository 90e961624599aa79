/**
 * @module `npm test`: type-check, lint, then every test runner (Node: unit, conformance,
 * integration, real engines; Bun, Deno and workerd: conformance), each writing JUnit; ends with one line
 * `N passed, N failed` summed over all runners. Exits non-zero if any step failed.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { addTallies, passed, type Tally, tallyFile } from './junit-summary.ts'

const REPORTS = 'reports'

interface Step {
  name: string
  command: string[]
  /** JUnit file the step writes, if it runs tests. */
  junit?: string
}

const steps: Step[] = [
  { name: 'type-check (core, node, bun, workerd)', command: ['npm', 'run', '-s', 'typecheck:tsc'] },
  { name: 'type-check (deno)', command: ['npm', 'run', '-s', 'typecheck:deno'] },
  // Biome colours its report whatever NO_COLOR says.
  { name: 'lint and format', command: ['biome', 'ci', '--colors=off', '.'] },
  // Downloads on a fresh machine (Maven Central, Debian); the engines project's set-up starts them.
  { name: 'engines: install', command: ['node', 'test/engines/install.ts'] },
  {
    name: 'node: unit, conformance, integration, engines',
    command: [
      'vitest',
      'run',
      '--config',
      'vitest.config.ts',
      '--reporter=default',
      '--reporter=junit',
      `--outputFile.junit=${REPORTS}/node.xml`,
    ],
    junit: `${REPORTS}/node.xml`,
  },
  {
    name: 'bun: conformance',
    command: ['bun', 'test', 'test/runtime/bun', '--reporter=junit', `--reporter-outfile=${REPORTS}/bun.xml`],
    junit: `${REPORTS}/bun.xml`,
  },
  {
    name: 'deno: conformance',
    command: [
      'deno',
      'test',
      '--allow-env',
      '--allow-read',
      '--allow-net=127.0.0.1',
      `--junit-path=${REPORTS}/deno.xml`,
      'test/runtime/deno',
    ],
    junit: `${REPORTS}/deno.xml`,
  },
  {
    name: 'workerd: conformance',
    command: [
      'vitest',
      'run',
      '--config',
      'vitest.workerd.config.ts',
      '--reporter=default',
      '--reporter=junit',
      `--outputFile.junit=${REPORTS}/workerd.xml`,
    ],
    junit: `${REPORTS}/workerd.xml`,
  },
]

const only = process.argv.slice(2)
const env: NodeJS.ProcessEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_COLOR: '1',
}
// Deno colours its output when FORCE_COLOR is set at all, to "0" too; NO_COLOR alone keeps it plain.
delete env.FORCE_COLOR

rmSync(REPORTS, { recursive: true, force: true })
mkdirSync(REPORTS, { recursive: true })

const tallies: Tally[] = []
const failedSteps: string[] = []
/** Failed steps whose failure no JUnit test counts (type-check, lint, a crashed runner). */
let uncountedFailures = 0
for (const step of steps) {
  if (only.length > 0 && !only.some((word) => step.name.includes(word))) continue
  const started = Date.now()
  console.log(`\n━━ ${step.name}: ${step.command.join(' ')}`)
  const [command = '', ...args] = step.command
  const result = spawnSync(command, args, { stdio: 'inherit', env })
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  let ok = result.status === 0
  let counted = false
  if (step.junit) {
    if (existsSync(step.junit)) {
      const tally = tallyFile(step.junit)
      tallies.push(tally)
      counted = tally.failed > 0
      console.log(
        `━━ ${step.name}: ${passed(tally)} passed, ${tally.failed} failed, ${tally.skipped} skipped (${seconds}s)`
      )
      if (tally.tests === 0) {
        console.log(`━━ ${step.name}: ran no test`)
        ok = false
      }
    } else {
      console.log(`━━ ${step.name}: wrote no report ${step.junit}`)
      ok = false
    }
  } else {
    console.log(`━━ ${step.name}: ${ok ? 'ok' : 'FAILED'} (${seconds}s)`)
  }
  if (!ok) {
    failedSteps.push(step.name)
    if (!counted) uncountedFailures++
  }
}

const total = addTallies(tallies)
if (failedSteps.length > 0) console.log(`\nfailed steps: ${failedSteps.join('; ')}`)
const failed = total.failed + uncountedFailures
console.log(
  `\n${passed(total)} passed, ${failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`
)
process.exit(failedSteps.length > 0 ? 1 : 0)
