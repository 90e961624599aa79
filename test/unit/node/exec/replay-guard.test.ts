import { describe, expect, it } from 'vitest'
import { ReplayGuard } from '../../../../src/node/exec/replay-guard.ts'

describe('the replay guard', () => {
  it('accepts a signature once until it expires, then again', () => {
    const guard = new ReplayGuard()
    expect(guard.accept('a', 2000, 1000)).toBe(true)
    expect(guard.accept('a', 2000, 1999)).toBe(false)
    expect(guard.accept('a', 4000, 2001)).toBe(true)
  })

  it('refuses new signatures when full of live ones, and makes room as they expire', () => {
    const guard = new ReplayGuard(2)
    expect(guard.accept('a', 2000, 1000)).toBe(true)
    expect(guard.accept('b', 3000, 1000)).toBe(true)
    expect(guard.accept('c', 3000, 1000)).toBe(false)
    expect(guard.accept('c', 3000, 2500)).toBe(true)
  })
})
