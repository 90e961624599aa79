import { describe, it } from 'bun:test'
import { cases } from '../../conformance/cases.ts'

describe('conformance on bun', () => {
  for (const [name, run] of cases) it(name, () => run({ runtime: 'bun' }))
})
