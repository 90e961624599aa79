import { describe, expect, it } from 'vitest'
import { Rotation, shares } from '../../../src/task-proxy/fair-share.ts'

const total = (list: Array<{ count: number }>) => list.reduce((sum, share) => sum + share.count, 0)

describe('shares', () => {
  it.each([
    [
      ['a', 'b', 'c'],
      4,
      0,
      [
        ['a', 2],
        ['b', 1],
        ['c', 1],
      ],
    ],
    [
      ['a', 'b', 'c'],
      4,
      1,
      [
        ['b', 2],
        ['c', 1],
        ['a', 1],
      ],
    ],
    [
      ['a', 'b', 'c'],
      2,
      2,
      [
        ['c', 1],
        ['a', 1],
      ],
    ],
    [['a', 'b', 'c'], 1, 4, [['b', 1]]],
    [['a'], 10, 7, [['a', 10]]],
  ] as const)('splits %j × %i from %i as %j', (tenants, count, start, expected) => {
    expect(shares(tenants, count, start).map((s) => [s.tenant, s.count])).toEqual(expected)
  })

  it('never asks for more than count in total, whatever the numbers', () => {
    for (let n = 1; n <= 12; n++) {
      const tenants = Array.from({ length: n }, (_, i) => `t${i}`)
      for (let count = 1; count <= 30; count++) {
        for (let start = 0; start < n + 2; start++) expect(total(shares(tenants, count, start))).toBe(count)
      }
    }
  })

  it('gives every tenant its turn when count is smaller than the tenants', () => {
    const tenants = ['a', 'b', 'c', 'd', 'e']
    const served = new Map<string, number>()
    const rotation = new Rotation()
    for (let poll = 0; poll < 50; poll++) {
      for (const share of shares(tenants, 2, rotation.take('GLOBAL___x'))) {
        served.set(share.tenant, (served.get(share.tenant) ?? 0) + share.count)
      }
    }
    expect([...served.values()]).toEqual([20, 20, 20, 20, 20])
  })

  it('answers nothing for no tenants or no count', () => {
    expect(shares([], 5, 0)).toEqual([])
    expect(shares(['a'], 0, 0)).toEqual([])
    expect(shares(['a', 'b'], 3, -1).length).toBe(2)
  })
})

describe('Rotation', () => {
  it('counts per key', () => {
    const rotation = new Rotation()
    expect([rotation.take('a'), rotation.take('a'), rotation.take('b'), rotation.take('a')]).toEqual([
      0, 1, 0, 2,
    ])
  })

  it('forgets all keys rather than grow without bound', () => {
    const rotation = new Rotation(3)
    for (const key of ['a', 'b', 'c']) rotation.take(key)
    rotation.take('a')
    rotation.take('d')
    expect(rotation.take('a')).toBe(0)
  })
})
