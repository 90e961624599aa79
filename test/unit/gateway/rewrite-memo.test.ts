import { describe, expect, it } from 'vitest'
import { RewriteMemo, sameBytes, sameBytesLoop } from '../../../src/gateway/rewrite-memo.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

function counting(memo: RewriteMemo) {
  let runs = 0
  return {
    get runs() {
      return runs
    },
    rewrite(source: Uint8Array, view: string) {
      return new TextDecoder().decode(
        memo.rewrite(source, view, () => {
          runs++
          return bytes(`${view}:${new TextDecoder().decode(source)}`)
        })
      )
    },
  }
}

describe('RewriteMemo', () => {
  it('reuses a result for equal bytes in another buffer, per view', () => {
    const memo = new RewriteMemo({ maxViews: 4, maxBytes: 1024 })
    const run = counting(memo)
    expect(run.rewrite(bytes('list'), 'a')).toBe('a:list')
    expect(run.rewrite(bytes('list'), 'a')).toBe('a:list')
    expect(run.rewrite(bytes('list'), 'b')).toBe('b:list')
    expect(run.runs).toBe(2)
    expect(memo.hits).toBe(1)
  })

  it('drops every view when one byte of the source differs', () => {
    const memo = new RewriteMemo({ maxViews: 4, maxBytes: 1024 })
    const run = counting(memo)
    run.rewrite(bytes('list-1'), 'a')
    run.rewrite(bytes('list-1'), 'b')
    expect(run.rewrite(bytes('list-2'), 'a')).toBe('a:list-2')
    expect(run.rewrite(bytes('list-2'), 'b')).toBe('b:list-2')
    expect(run.runs).toBe(4)
    // Back to the first source: nothing of it is left.
    expect(run.rewrite(bytes('list-1'), 'a')).toBe('a:list-1')
    expect(run.runs).toBe(5)
  })

  it('keeps at most maxViews results, dropping the least recently used', () => {
    const memo = new RewriteMemo({ maxViews: 2, maxBytes: 1024 })
    const run = counting(memo)
    const source = bytes('x')
    run.rewrite(source, 'a')
    run.rewrite(source, 'b')
    run.rewrite(source, 'a') // a is now the most recent
    run.rewrite(source, 'c') // drops b
    expect(run.runs).toBe(3)
    run.rewrite(source, 'a')
    expect(run.runs).toBe(3)
    run.rewrite(source, 'b')
    expect(run.runs).toBe(4)
  })

  it('keeps at most maxBytes of results and never one larger than that', () => {
    const memo = new RewriteMemo({ maxViews: 10, maxBytes: 10 })
    let runs = 0
    const big = () => {
      runs++
      return new Uint8Array(11)
    }
    const six = () => {
      runs++
      return new Uint8Array(6)
    }
    const source = bytes('s')
    memo.rewrite(source, 'big', big)
    memo.rewrite(source, 'big', big)
    expect(runs).toBe(2)
    memo.rewrite(source, 'one', six)
    memo.rewrite(source, 'two', six) // 12 bytes > 10: 'one' goes
    memo.rewrite(source, 'two', six)
    expect(runs).toBe(4)
    memo.rewrite(source, 'one', six)
    expect(runs).toBe(5)
  })

  it('does not remember a rewrite that throws', () => {
    const memo = new RewriteMemo({ maxViews: 2, maxBytes: 100 })
    const source = bytes('bad')
    expect(() =>
      memo.rewrite(source, 'a', () => {
        throw new Error('malformed')
      })
    ).toThrow('malformed')
    expect(new TextDecoder().decode(memo.rewrite(source, 'a', () => bytes('ok')))).toBe('ok')
  })

  it('refuses nonsensical bounds', () => {
    expect(() => new RewriteMemo({ maxViews: 0, maxBytes: 1 })).toThrow(/maxViews/)
    expect(() => new RewriteMemo({ maxViews: 1, maxBytes: 0.5 })).toThrow(/maxBytes/)
  })
})

describe.each([
  ['sameBytes', sameBytes],
  ['sameBytesLoop (the portable path)', sameBytesLoop],
])('%s', (_name, equal) => {
  it('compares aligned, unaligned and odd-length views byte by byte', () => {
    const backing = new Uint8Array(64).map((_, i) => i)
    const copy = new Uint8Array(backing)
    for (const [offset, length] of [
      [0, 64],
      [1, 30],
      [4, 33],
      [3, 0],
    ] as const) {
      const a = backing.subarray(offset, offset + length)
      const b = copy.subarray(offset, offset + length)
      expect(equal(a, b)).toBe(true)
      if (length > 0) {
        const changed = new Uint8Array(b)
        changed[length - 1] = (changed[length - 1] ?? 0) ^ 1
        expect(equal(a, changed)).toBe(false)
      }
    }
    expect(equal(backing.subarray(0, 8), backing.subarray(1, 9))).toBe(false)
    expect(equal(backing.subarray(0, 8), backing.subarray(0, 9))).toBe(false)
  })
})
