/**
 * @module Entry compiled with `bun build --compile` to run the conformance cases inside a Bun single
 * binary: prints one JSON line per case and exits 1 if any failed.
 */
import { cases } from '../../conformance/cases.ts'

let failed = 0
for (const [name, run] of cases) {
  try {
    await run({ runtime: 'bun' })
    console.log(JSON.stringify({ name, ok: true }))
  } catch (error) {
    failed++
    console.log(
      JSON.stringify({ name, ok: false, error: error instanceof Error ? error.message : String(error) })
    )
  }
}
process.exit(failed > 0 ? 1 : 0)
