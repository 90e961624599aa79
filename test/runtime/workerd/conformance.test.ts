import { describe, it } from 'vitest'
import { cases } from '../../conformance/cases.ts'
import { gatewayCases } from '../../conformance/gateway-cases.ts'

describe('conformance on workerd', () => {
  for (const [name, run] of [...cases, ...gatewayCases]) it(name, () => run({ runtime: 'workerd' }))
})
