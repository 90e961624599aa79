import { cases } from '../../conformance/cases.ts'

for (const [name, run] of cases) {
  Deno.test(`conformance on deno: ${name}`, () => run({ runtime: 'deno' }))
}
