/**
 * @module Ascii85 ("base85" in httpexec): the encoding of Python's `base64.a85encode`/`a85decode`
 * without `<~ ~>` delimiters, `y` folding or line wrapping. Node has no built-in for it.
 */

const ZERO = 0x21 // '!'
const LAST = 0x75 // 'u'
const Z = 0x7a // 'z'
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b])

/** Thrown for text that is not valid Ascii85; the message is safe to show to a client. */
export class Ascii85Error extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Ascii85Error'
  }
}

/** Encodes bytes: 4 zero bytes become `z`; a final group of n bytes becomes n+1 characters. */
export function encodeAscii85(bytes: Uint8Array): string {
  const out: string[] = []
  const fullGroups = Math.floor(bytes.length / 4)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const group = new Array<number>(5)
  for (let i = 0; i < fullGroups; i++) {
    const word = view.getUint32(i * 4)
    if (word === 0) {
      out.push('z')
      continue
    }
    out.push(String.fromCharCode(...digits(word, group)))
  }
  const rest = bytes.length % 4
  if (rest > 0) {
    const tail = new Uint8Array(4)
    tail.set(bytes.subarray(fullGroups * 4))
    const word = new DataView(tail.buffer).getUint32(0)
    out.push(String.fromCharCode(...digits(word, group).slice(0, rest + 1)))
  }
  return out.join('')
}

function digits(word: number, group: number[]): number[] {
  let value = word
  for (let i = 4; i >= 0; i--) {
    group[i] = (value % 85) + ZERO
    value = Math.floor(value / 85)
  }
  return group
}

/**
 * Decodes Ascii85 as strictly as Python does, and stricter where Python silently loses data: a
 * final group of one character (which no encoder produces) is an error here.
 */
export function decodeAscii85(text: string): Uint8Array {
  const out: number[] = []
  const group: number[] = []
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (WHITESPACE.has(code)) continue
    if (code === Z) {
      if (group.length > 0) throw new Ascii85Error('"z" inside an Ascii85 group')
      out.push(0, 0, 0, 0)
      continue
    }
    if (code < ZERO || code > LAST) {
      throw new Ascii85Error(`character ${JSON.stringify(text[i])} is not an Ascii85 digit`)
    }
    group.push(code - ZERO)
    if (group.length === 5) {
      pushWord(out, group, 4)
      group.length = 0
    }
  }
  if (group.length === 1) throw new Ascii85Error('a final Ascii85 group needs at least two characters')
  if (group.length > 0) {
    const bytes = group.length - 1
    while (group.length < 5) group.push(LAST - ZERO)
    pushWord(out, group, bytes)
  }
  return Uint8Array.from(out)
}

function pushWord(out: number[], group: readonly number[], bytes: number): void {
  let value = 0
  for (const digit of group) value = value * 85 + digit
  if (value > 0xffffffff) throw new Ascii85Error('Ascii85 group overflows 32 bits')
  const word = [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]
  out.push(...word.slice(0, bytes))
}
