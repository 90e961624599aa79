import { describe, expect, it } from 'vitest'
import { Ascii85Error, decodeAscii85, encodeAscii85 } from '../../../../src/node/exec/ascii85.ts'
import { Base64Error, decodeBase64, encodeBase64 } from '../../../../src/node/exec/base64.ts'
import { decodeContent, encodeContent } from '../../../../src/node/exec/encodings.ts'

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replaceAll(' ', ''), 'hex'))
const ascii = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'))

// The reference's vectors, computed with Python's a85encode/b64encode (as httpexec uses).
const VECTORS: Array<[string, Uint8Array, string, string]> = [
  ['empty', new Uint8Array(0), '', ''],
  ['one zero byte', hex('00'), '!!', 'AA=='],
  ['four zero bytes', hex('00000000'), 'z', 'AAAAAA=='],
  ['five zero bytes', hex('0000000000'), 'z!!', 'AAAAAAA='],
  ['four 0xff', hex('ffffffff'), 's8W-!', '/////w=='],
  ['abc', ascii('abc'), '@:E^', 'YWJj'],
  ['hello world', ascii('hello world'), 'BOu!rD]j7BEbo7', 'aGVsbG8gd29ybGQ='],
  ['four spaces', ascii('    '), '+<VdL', 'ICAgIA=='],
  ['ff fe binary', Uint8Array.from([0xff, 0xfe, ...ascii('binary')]), 's8HJADIIR2', '//5iaW5hcnk='],
]

describe('Ascii85 (httpexec "base85")', () => {
  it.each(VECTORS)('encodes %s as the reference does', (_name, bytes, a85) => {
    expect(encodeAscii85(bytes)).toBe(a85)
  })

  it.each(VECTORS)('decodes %s back to the same bytes', (_name, bytes, a85) => {
    expect(decodeAscii85(a85)).toEqual(bytes)
  })

  it('ignores whitespace and accepts z', () => {
    expect(decodeAscii85(' @:E ^\n')).toEqual(ascii('abc'))
    expect(decodeAscii85('zz')).toEqual(new Uint8Array(8))
  })

  it.each([
    ['a group that overflows 32 bits', 's8W-"'],
    ['the delimiter ~', '@:E^~>'],
    ['the <~ opener', '<~@:E^'],
    ['y (space folding is off, as in Python)', 'y'],
    ['a character past u', 'v'],
    ['z inside a group', '@:zE^'],
    ['a lone final character, which no encoder produces', 'z!'],
  ])('rejects %s', (_name, text) => {
    expect(() => decodeAscii85(text)).toThrow(Ascii85Error)
  })

  it('round-trips every byte value at every tail length', () => {
    const all = Uint8Array.from({ length: 259 }, (_, i) => (i * 7) % 256)
    for (let length = 0; length < all.length; length += 1) {
      const slice = all.subarray(0, length)
      expect(decodeAscii85(encodeAscii85(slice))).toEqual(slice)
    }
  })
})

describe('base64', () => {
  it.each(VECTORS)('encodes %s as the reference does', (_name, bytes, _a85, b64) => {
    expect(encodeBase64(bytes)).toBe(b64)
  })

  it.each(VECTORS)('decodes %s back to the same bytes', (_name, bytes, _a85, b64) => {
    expect(decodeBase64(b64)).toEqual(bytes)
  })

  it('accepts MIME line breaks', () => {
    expect(decodeBase64('aGVsbG8g\nd29ybGQ=\r\n')).toEqual(ascii('hello world'))
  })

  it.each([
    ['missing padding (Python: error; Node Buffer: "ab")', 'YWJ'],
    ['the URL-safe alphabet (Node Buffer accepts it)', '_-_-'],
    ['junk characters (Python drops them silently)', '!!!!YW*Jj'],
    ['padding in the middle', 'YQ==YWJj'],
    ['too much padding', 'YQ==='],
  ])('rejects %s', (_name, text) => {
    expect(() => decodeBase64(text)).toThrow(Base64Error)
  })
})

describe('content encodings', () => {
  it('sends text as UTF-8 when encode is null', () => {
    expect(decodeContent('h\u00e9', null)).toEqual(Uint8Array.from([0x68, 0xc3, 0xa9]))
    expect(encodeContent(Uint8Array.from([0x68, 0xc3, 0xa9]), null)).toEqual({
      content: 'h\u00e9',
      encode: null,
    })
  })

  it('answers output that is not UTF-8 as base64 and says so (httpexec: 500 after running)', () => {
    expect(encodeContent(Uint8Array.from([0xff, 0xfe]), null)).toEqual({ content: '//4=', encode: 'base64' })
  })

  it('echoes the requested encoding', () => {
    expect(encodeContent(ascii('abc'), 'base85')).toEqual({ content: '@:E^', encode: 'base85' })
    expect(encodeContent(ascii('abc'), 'base64')).toEqual({ content: 'YWJj', encode: 'base64' })
  })
})
