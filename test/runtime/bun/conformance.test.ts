import { describe, it } from 'bun:test'
import { cases } from '../../conformance/cases.ts'
import { gatewayCases } from '../../conformance/gateway-cases.ts'

describe('conformance on bun', () => {
  for (const [name, run] of [...cases, ...gatewayCases]) it(name, () => run({ runtime: 'bun' }))
})
