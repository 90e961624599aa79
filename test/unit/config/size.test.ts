import { describe, expect, it } from 'vitest'
import { parseSize } from '../../../src/config/size.ts'

describe('parseSize', () => {
  it.each([
    ['50mb', 52_428_800],
    ['512kb', 524_288],
    ['10MB', 10_485_760],
    ['1k', 1024],
    ['1m', 1_048_576],
    ['2g', 2_147_483_648],
    ['1gb', 1_073_741_824],
    ['7b', 7],
    ['100', 100],
    [' 64 kb ', 65_536],
    ['1.5kb', 1536],
    ['1.0001kb', 1024],
    [0, 0],
    [1_048_576, 1_048_576],
  ] as const)('reads %j as %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes)
  })

  it.each([
    [''],
    ['mb'],
    ['-1'],
    ['-1kb'],
    ['1e3'],
    ['1,5mb'],
    ['10 tb'],
    ['10mib'],
    ['ten mb'],
    ['0x10'],
    [1.5],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [2 ** 53],
    [1e20],
    ['99999999999gb'],
  ] as const)('refuses %j', (input) => {
    expect(parseSize(input)).toBeUndefined()
  })
})
