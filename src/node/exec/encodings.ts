/** @module httpexec's content encodings (`null` = UTF-8 text, `base64`, `base85`) in both directions. */
import { decodeAscii85, encodeAscii85 } from './ascii85.ts'
import { decodeBase64, encodeBase64 } from './base64.ts'

export const ENCODINGS = ['base64', 'base85'] as const
export type Encoding = (typeof ENCODINGS)[number]

/** One captured stream as httpexec returns it. */
export interface EncodedContent {
  content: string
  encode: Encoding | null
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Decodes request content to bytes; throws Ascii85Error/Base64Error for bad text. */
export function decodeContent(content: string, encode: Encoding | null): Uint8Array {
  if (encode === 'base64') return decodeBase64(content)
  if (encode === 'base85') return decodeAscii85(content)
  return new TextEncoder().encode(content)
}

/**
 * Encodes output bytes. With `encode: null` and bytes that are not UTF-8, httpexec answered 500
 * after the command had run; we answer base64 instead and say so in `encode`, so clients that
 * honour `encode` still get the exact bytes.
 */
export function encodeContent(bytes: Uint8Array, encode: Encoding | null): EncodedContent {
  if (encode === 'base64') return { content: encodeBase64(bytes), encode }
  if (encode === 'base85') return { content: encodeAscii85(bytes), encode }
  try {
    return { content: utf8.decode(bytes), encode: null }
  } catch {
    return { content: encodeBase64(bytes), encode: 'base64' }
  }
}
