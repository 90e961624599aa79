import { isUtf8 } from 'node:buffer'
import { describe, expect, it } from 'vitest'
import { piecesAreUtf8 } from '../../../../src/node/exec/utf8-pieces.ts'

/** `bytes` cut at every position in `cuts` (sorted). */
const split = (bytes: Uint8Array, cuts: number[]) =>
  [0, ...cuts, bytes.byteLength]
    .slice(1)
    .map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end))

describe('piecesAreUtf8', () => {
  const valid = Buffer.from('aé€😀b"\\\u0001zß😀')
  const samples: Array<[string, Uint8Array]> = [
    ['valid text with 2-, 3- and 4-byte characters', valid],
    ['a truncated final character', valid.subarray(0, valid.byteLength - 1)],
    ['a lone continuation byte', Buffer.concat([valid, Buffer.of(0x80), valid])],
    ['an overlong encoding', Buffer.of(0x61, 0xc0, 0xaf, 0x62)],
    ['a surrogate encoded in UTF-8', Buffer.of(0xed, 0xa0, 0x80)],
    ['bytes that never occur', Buffer.of(0x61, 0xff, 0xfe)],
    ['a lead byte followed by ASCII', Buffer.of(0xe2, 0x82, 0x41)],
  ]

  it.each(samples)(
    'agrees with isUtf8 of the whole for %s, however it is cut in two or three',
    (_name, bytes) => {
      for (let a = 0; a <= bytes.byteLength; a++) {
        expect(piecesAreUtf8(split(bytes, [a]))).toBe(isUtf8(bytes))
        for (let b = a; b <= bytes.byteLength; b++)
          expect(piecesAreUtf8(split(bytes, [a, b]))).toBe(isUtf8(bytes))
      }
    }
  )

  it('agrees for a character cut over four one-byte pieces', () => {
    const emoji = Buffer.from('😀')
    expect(piecesAreUtf8([...emoji].map((byte) => Uint8Array.of(byte)))).toBe(true)
    expect(piecesAreUtf8([...emoji.subarray(0, 3)].map((byte) => Uint8Array.of(byte)))).toBe(false)
  })

  it('takes no pieces as valid', () => {
    expect(piecesAreUtf8([])).toBe(true)
  })
})
