/**
 * A float64 array that grows as a file is read (doubling, so n entries cost O(n) copies), refusing to pass the
 * 2^31 − 1 entries of one matrix with an error naming the file instead of failing to allocate.
 */
import { InputError } from './errors.js';

/** Most entries of a matrix read from a file: the 2^31 − 1 of one fit's V. */
export const MAX_ENTRIES = 2 ** 31 - 1;

export class GrowingArray {
  private data = new Float64Array(1024);
  private length = 0;

  /** Appends the numbers the fields spell (Number(field); the caller has checked them). */
  pushAll(fields: readonly string[], path: string): void {
    this.reserve(fields.length, path);
    for (const field of fields) this.data[this.length++] = Number(field);
  }

  /** The entries, in an array of their exact length. */
  toArray(): Float64Array {
    return this.data.length === this.length ? this.data : this.data.slice(0, this.length);
  }

  private reserve(more: number, path: string): void {
    const needed = this.length + more;
    if (needed <= this.data.length) return;
    if (needed > MAX_ENTRIES) throw new InputError(`${path}: more than the 2^31 − 1 entries of one matrix`);
    const grown = new Float64Array(Math.min(MAX_ENTRIES, Math.max(needed, 2 * this.data.length)));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
}
