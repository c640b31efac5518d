/**
 * An array of fixed length stored in small blocks. One `new Array(2^21)` holds the event loop for about 70 ms
 * (the fresh pages of a 16 MB allocation), so a batch keeps its per-matrix entries in blocks of 4096 and builds the
 * one array the caller receives only when the batch is done.
 */
const BLOCK_BITS = 12;
const BLOCK = 1 << BLOCK_BITS;

export class ChunkedArray<T> {
  readonly length: number;
  readonly #blocks: (T | undefined)[][] = [];

  constructor(length: number) {
    this.length = length;
  }

  get(index: number): T | undefined {
    return this.#blocks[index >>> BLOCK_BITS]?.[index & (BLOCK - 1)];
  }

  set(index: number, value: T): void {
    const b = index >>> BLOCK_BITS;
    // Blocks are created in order of first use; a block is never longer than BLOCK entries.
    let block = this.#blocks[b];
    if (block === undefined) {
      while (this.#blocks.length <= b) this.#blocks.push([]);
      block = this.#blocks[b] as (T | undefined)[];
    }
    const offset = index & (BLOCK - 1);
    while (block.length < offset) block.push(undefined);
    block[offset] = value;
  }

  /** The entries as one plain array (unset entries undefined). */
  toArray(): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.get(i) as T;
    return out;
  }
}
