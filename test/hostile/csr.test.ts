/**
 * Hostile CSR matrices, on both entries (./entries.ts): every field malformed in turn — offsets that do not start
 * at 0, decrease or overrun, indices out of range, unsorted or repeated, lengths that disagree, values that are no
 * finite numbers ≥ 0, wrong kinds of arrays, detached buffers, getters and proxies that throw — each a TypeError
 * or RangeError with a code that names the field and the position; sizes refused before anything is allocated;
 * options that do not go with a CSR V; and the caller's arrays never written.
 */
import { describe, expect, it } from 'vitest';
import { ENTRIES, OPTIONS } from './entries.js';
import { boom, catchError, named, rssGrowth, throwingProxy } from './hostile-values.js';

/** A valid 3×4 CSR V: row 0 {1: 1, 3: 2}, row 1 empty, row 2 {0: 3, 1: 4, 2: 5}. */
const valid = () => ({
  format: 'csr',
  rows: 3,
  cols: 4,
  indptr: Int32Array.from([0, 2, 2, 5]),
  indices: Int32Array.from([1, 3, 0, 1, 2]),
  data: Float64Array.from([1, 2, 3, 4, 5]),
});
const with_ = (change: object): object => ({ ...valid(), ...change });

const detachedInt32 = (length: number): Int32Array => {
  const array = new Int32Array(length);
  structuredClone(array.buffer, { transfer: [array.buffer] });
  return array;
};

const MALFORMED: [string, () => unknown, RegExp][] = [
  ['format missing a value', () => with_({ format: 'csc' }), /^V\.format must be 'csr'/],
  ['an unknown key', () => with_({ shape: [3, 4] }), /^V .*shape|V has an unknown|shape/],
  ['rows not a count', () => with_({ rows: 1.5 }), /^V\.rows/],
  ['cols a string', () => with_({ cols: '4' }), /^V\.cols/],
  ['indptr too short', () => with_({ indptr: [0, 2, 5] }), /^V\.indptr must have V\.rows \+ 1 = 4 entries, got 3/],
  ['indptr not starting at 0', () => with_({ indptr: [1, 2, 2, 5] }), /^V\.indptr\[0\] must be 0/],
  ['indptr decreasing', () => with_({ indptr: [0, 3, 2, 5] }), /^V\.indptr must never decrease, but V\.indptr\[2\] = 2/],
  ['indptr fractional', () => with_({ indptr: [0, 1.5, 2, 5] }), /^V\.indptr\[1\] must be an integer/],
  ['indptr negative', () => with_({ indptr: Int32Array.from([0, -1, 2, 5]) }), /^V\.indptr\[1\] must be an integer/],
  ['indptr 2^31 and more', () => with_({ indptr: Uint32Array.from([0, 2 ** 31, 2 ** 31, 2 ** 31]) }), /^V\.indptr\[1\]/],
  ['indptr a Float64Array', () => with_({ indptr: Float64Array.from([0, 2, 2, 5]) }), /^V\.indptr must be an Int32Array/],
  ['indptr holding a string', () => with_({ indptr: [0, '2', 2, 5] }), /^V\.indptr\[1\] must be a number/],
  ['indptr with a hole', () => with_({ indptr: [0, , 2, 5] }), /^V\.indptr\[1\] must be a number/], // eslint-disable-line no-sparse-arrays
  ['indptr detached', () => with_({ indptr: detachedInt32(4) }), /^V\.indptr .*detached/],
  ['indptr a throwing proxy', () => with_({ indptr: throwingProxy([0, 2, 2, 5]) }), /^V\.indptr/],
  ['indices shorter than nnz', () => with_({ indices: [1, 3, 0, 1] }), /^V\.indices must have V\.indptr\[3\] \(nnz\) = 5 entries, got 4/],
  [
    'an index out of range',
    () => with_({ indices: [1, 4, 0, 1, 2] }),
    /^V\.indices\[1\] \(row 0\) must be an integer column in \[0, 3\], got 4/,
  ],
  ['a negative index', () => with_({ indices: Int32Array.from([1, 3, -1, 1, 2]) }), /^V\.indices\[2\] \(row 2\)/],
  ['an index NaN', () => with_({ indices: [1, 3, 0, NaN, 2] }), /^V\.indices\[3\] \(row 2\) must be an integer/],
  ['a repeated column', () => with_({ indices: [1, 3, 0, 0, 2] }), /^V\.indices\[3\] \(row 2\) repeats column 0: nmfkit refuses duplicate/],
  ['unsorted columns', () => with_({ indices: [3, 1, 0, 1, 2] }), /^V\.indices\[1\] \(row 0\) = 1 follows column 3/],
  ['indices a Float32Array', () => with_({ indices: new Float32Array(5) }), /^V\.indices must be an Int32Array/],
  ['data shorter than nnz', () => with_({ data: [1, 2, 3, 4] }), /^V\.data must have nnz = .* = 5 entries, got 4/],
  ['a negative value', () => with_({ data: [1, 2, -3, 4, 5] }), /^V must be finite and ≥ 0, but V\.data\[2\] \(row 2, column 0\) is -3/],
  [
    'a NaN value',
    () => with_({ data: Float64Array.from([1, 2, 3, NaN, 5]) }),
    /^V must be finite and ≥ 0, but V\.data\[3\] \(row 2, column 1\) is NaN/,
  ],
  ['an infinite value', () => with_({ data: [Infinity, 2, 3, 4, 5] }), /^V must be finite and ≥ 0, but V\.data\[0\] \(row 0, column 1\)/],
  ['a value that is a string', () => with_({ data: [1, 2, '3', 4, 5] }), /^V\.data\[2\] must be a number/],
  ['data an object', () => with_({ data: { length: 5 } }), /^V\.data must be/],
  [
    'a getter that throws',
    () => Object.defineProperty(valid(), 'indices', { get: boom('getter indices'), enumerable: true }),
    /^V\.indices could not be read/,
  ],
];

describe.each(ENTRIES)('$name entry: CSR matrices', (entry) => {
  const { nmfSync, nmf } = entry;

  it.each(MALFORMED)('%s: a named error with a code, sync and async', async (what, make, message) => {
    named(
      catchError(() => nmfSync(make() as never, OPTIONS as never)),
      message,
      what,
    );
    let error: unknown;
    await nmf(make() as never, OPTIONS as never).catch((e: unknown) => (error = e));
    named(error, message, `${what} (async)`);
  });

  it('sizes claimed by the lengths are refused before anything is allocated', () => {
    const before = process.memoryUsage().rss;
    // 2^31 − 1 rows whose indptr (a plausible length, full of holes) claims 8 GiB: refused at its first hole.
    named(
      catchError(() =>
        nmfSync(
          { format: 'csr', rows: 2 ** 31 - 1, cols: 2, indptr: new Array(2 ** 31), indices: [], data: [] } as never,
          OPTIONS as never,
        ),
      ),
      /^V\.indptr\[0\] must be a number/,
      'holes',
    );
    // indptr claims 2^31 − 1 stored entries in 2 rows of 2 columns: indices' length disagrees, nothing is allocated.
    named(
      catchError(() => nmfSync(with_({ rows: 1, cols: 2, indptr: [0, 2 ** 31 - 1], indices: [0], data: [1] }) as never, OPTIONS as never)),
      /^V\.indices must have/,
      'nnz',
    );
    expect(rssGrowth(before)).toBeLessThan(256 * 2 ** 20);
  });

  it('options that do not go with a CSR V, and observed stored with a dense one', () => {
    const fails = (v: unknown, options: object, message: RegExp): void =>
      named(
        catchError(() => nmfSync(v as never, { ...OPTIONS, ...options } as never)),
        message,
        String(message),
      );
    // β ≤ 0 needs the observed entries > 0: a stored zero is refused, naming it (the absent ones are missing).
    const zero = valid();
    zero.data[2] = 0;
    fails(zero, { observed: 'stored', loss: 'is' }, /^V\.data\[2\] \(row 2, column 0\) is 0, where the β = 0 divergence is infinite/);
    fails(valid(), { mask: { rows: 3, cols: 4, data: new Float64Array(12) } }, /^options\.mask does not go with a CSR V/);
    fails(
      valid(),
      { mask: { rows: 3, cols: 4, data: new Float64Array(12) }, spectralError: true },
      /^options\.mask does not go with a CSR V/,
    );
    fails(valid(), { observed: 'stored', spectralError: true }, /^options\.spectralError is not available with observed 'stored'/);
    fails(valid(), { observed: 'stored', solver: 'hals' }, /^options\.observed 'stored' needs solver 'mu'/);
    fails(valid(), { observed: 'some' }, /^options\.observed/);
    fails({ rows: 3, cols: 4, data: new Float64Array(12).fill(1) }, { observed: 'stored' }, /^options\.observed 'stored' needs a CSR V/);
  });

  it("never writes the caller's arrays, and a number[] CSR fits as the typed one", () => {
    const v = valid();
    const copies = { indptr: v.indptr.slice(), indices: v.indices.slice(), data: v.data.slice() };
    const typed = nmfSync(v as never, { ...OPTIONS, observed: 'stored' } as never);
    expect(v.indptr).toEqual(copies.indptr);
    expect(v.indices).toEqual(copies.indices);
    expect(v.data).toEqual(copies.data);
    const plain = nmfSync(
      { ...v, indptr: Array.from(v.indptr), indices: Array.from(v.indices), data: Array.from(v.data) } as never,
      { ...OPTIONS, observed: 'stored' } as never,
    );
    expect(plain.W.data).toEqual(typed.W.data);
    const unsigned = nmfSync(
      { ...v, indptr: Uint32Array.from(v.indptr), data: Uint8Array.from(v.data) } as never,
      { ...OPTIONS, observed: 'stored' } as never,
    );
    expect(unsigned.W.data).toEqual(typed.W.data);
  });
});
