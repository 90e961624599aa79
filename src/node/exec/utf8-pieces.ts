/**
 * @module Whether bytes held in pieces are UTF-8 as a whole, without joining them: each piece is
 * checked with node:buffer's isUtf8, and a character cut between two pieces is put together from
 * its few bytes on both sides.
 */
import { isUtf8 } from 'node:buffer'

/** Bytes of the sequence a lead byte starts (1 for ASCII and for bytes that cannot lead). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4
  if (lead >= 0xe0 && lead <= 0xef) return 3
  if (lead >= 0xc2 && lead <= 0xdf) return 2
  return 1
}

/** How many bytes at the end of `piece` begin a sequence that continues past it (0–3). */
function openTail(piece: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, piece.byteLength); back++) {
    const byte = piece[piece.byteLength - back] ?? 0
    if ((byte & 0xc0) === 0x80) continue // a continuation byte: look further back for its lead
    return sequenceLength(byte) > back ? back : 0
  }
  return 0
}

export function piecesAreUtf8(pieces: readonly Uint8Array[]): boolean {
  let carry: Uint8Array | undefined
  for (const whole of pieces) {
    let piece = whole
    if (carry) {
      const need = sequenceLength(carry[0] ?? 0) - carry.byteLength
      if (piece.byteLength < need) {
        carry = Buffer.concat([carry, piece])
        continue
      }
      if (!isUtf8(Buffer.concat([carry, piece.subarray(0, need)]))) return false
      piece = piece.subarray(need)
      carry = undefined
    }
    const open = openTail(piece)
    if (!isUtf8(piece.subarray(0, piece.byteLength - open))) return false
    if (open > 0) carry = piece.subarray(piece.byteLength - open)
  }
  return carry === undefined
}
