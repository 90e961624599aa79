import { cases } from '../../conformance/cases.ts'
import { gatewayCases } from '../../conformance/gateway-cases.ts'

for (const [name, run] of [...cases, ...gatewayCases]) {
  Deno.test(`conformance on deno: ${name}`, () => run({ runtime: 'deno' }))
}
