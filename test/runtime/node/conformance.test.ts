import { describe, it } from 'vitest'
import { cases } from '../../conformance/cases.ts'

describe('conformance on node', () => {
  for (const [name, run] of cases) it(name, () => run({ runtime: 'node' }))
})
