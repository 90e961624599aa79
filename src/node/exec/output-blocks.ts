/**
 * @module Reused memory for buffered output on its way to a Node response. The escaped text the
 * native helper sends arrives in the read buffers Node allocates for each pipe read, and the reply
 * is written from those pieces. Kept until the reply is sent (16 concurrent 1 MiB runs hold them
 * for ~100 ms), they outlive young-generation collections, and their memory is then found only by
 * full collections: with 1 MiB replies one every ~25 requests, the largest single cost of such a
 * run on Node. Copied into blocks taken from a pool and given back once the reply has been sent,
 * the read buffers die young and the blocks are never garbage.
 */

/** Block size: about one helper frame (64 KiB read, escaped). */
export const BLOCK_BYTES = 64 * 1024

/** Pieces below this are copied on their own (Node's small-buffer pool), not into a block. */
const SMALL_PIECE = 4 * 1024

/** Free blocks the pool keeps between replies (16 MiB); more are left to the collector. */
const KEEP_FREE = 256

export class BlockPool {
  private readonly free: Buffer[] = []
  private readonly keep: number
  constructor(keep = KEEP_FREE) {
    this.keep = keep
  }

  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(BLOCK_BYTES)
  }

  give(blocks: readonly Buffer[]): void {
    for (const block of blocks) {
      if (this.free.length >= this.keep) return
      this.free.push(block)
    }
  }

  /** Blocks kept for reuse (tests, metrics). */
  get freeBlocks(): number {
    return this.free.length
  }
}

/**
 * One run's copies. `copy` returns views that stay valid until `release`, which must be called
 * only when nothing reads them any more (the reply has been handed to the kernel); a run whose
 * reply may still be read elsewhere simply never releases, and its blocks are collected.
 */
export class OutputCopies {
  private readonly pool: BlockPool
  private readonly blocks: Buffer[] = []
  private used = BLOCK_BYTES
  private released = false
  constructor(pool: BlockPool) {
    this.pool = pool
  }

  /** `piece` copied, as one view or (across a block boundary) several, in order. */
  copy(piece: Uint8Array): Buffer[] {
    if (this.released) throw new Error('output copies used after release')
    if (piece.byteLength < SMALL_PIECE && this.blocks.length === 0) return [Buffer.from(piece)]
    const views: Buffer[] = []
    let at = 0
    while (at < piece.byteLength) {
      if (this.used === BLOCK_BYTES) {
        this.blocks.push(this.pool.take())
        this.used = 0
      }
      const block = this.blocks[this.blocks.length - 1] as Buffer
      const count = Math.min(BLOCK_BYTES - this.used, piece.byteLength - at)
      block.set(piece.subarray(at, at + count), this.used)
      views.push(block.subarray(this.used, this.used + count))
      this.used += count
      at += count
    }
    return views
  }

  /** Gives the blocks back to the pool. Once; the views must not be read afterwards. */
  release(): void {
    if (this.released) return
    this.released = true
    this.pool.give(this.blocks)
    this.blocks.length = 0
  }
}
