/**
 * @module Strict standard base64 (RFC 4648 §4) for stdin content. Node's Buffer decoder accepts
 * the URL-safe alphabet, missing padding and junk; Python's drops junk. We accept only the
 * standard alphabet with correct padding, plus ASCII whitespace (MIME-style line breaks).
 */

const ALPHABET = /^[A-Za-z0-9+/]*={0,2}$/
const WHITESPACE = /[ \t\r\n\v\f]/g

/** Thrown for text that is not valid base64; the message is safe to show to a client. */
export class Base64Error extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'Base64Error'
  }
}

export function decodeBase64(text: string): Uint8Array {
  const compact = text.replace(WHITESPACE, '')
  if (!ALPHABET.test(compact)) {
    throw new Base64Error('only the standard base64 alphabet (A-Z a-z 0-9 + /) and "=" padding are allowed')
  }
  if (compact.length % 4 !== 0) throw new Base64Error('base64 length must be a multiple of 4 (check padding)')
  const buffer = Buffer.from(compact, 'base64')
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
}
