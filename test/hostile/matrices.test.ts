/**
 * Hostile matrices, on both entries (./entries.ts): negative, fractional, non-number and 2^31+ dimensions, sizes
 * whose product overflows memory (refused before anything is allocated), entries that are not finite numbers ≥ 0
 * or cannot be read, typed arrays of other element types, fakes and detached buffers; SharedArrayBuffer-backed
 * input accepted and copied once.
 */
import { describe, expect, it } from 'vitest';
import type { NmfOptions } from '../../src/index.js';
import { OPTIONS, ENTRIES, V } from './entries.js';
import { boom, catchError, detachedFloat64Array, MS, rssGrowth, throwingProxy } from './hostile-values.js';

describe.each(ENTRIES)('$name entry: matrices: shapes, entries and buffers', (entry) => {
  const { nmfSync, nmf } = entry;
  const { backends: BACKENDS, available: backendAvailable } = entry;
  const fitFails = (
    v: unknown,
    message: RegExp,
    kind: typeof TypeError | typeof RangeError = TypeError,
    options: object = OPTIONS,
  ): void => {
    let error: unknown;
    try {
      nmfSync(v as never, options as never);
    } catch (e) {
      error = e;
    }
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('negative, fractional, non-number and 2^31+ dimensions', () => {
    for (const [rows, kind] of [
      [-1, RangeError],
      [1.5, RangeError],
      [2 ** 31, RangeError],
      [2 ** 53 + 2, RangeError],
      [NaN, RangeError],
      [Infinity, RangeError],
      ['2', TypeError],
      [2n, TypeError],
      [null, TypeError],
      [Symbol('r'), TypeError],
    ] as const) {
      fitFails({ rows, cols: 1, data: [1] }, /^V\.rows/, kind);
      fitFails({ rows: 1, cols: rows, data: [1] }, /^V\.cols/, kind);
      fitFails(V, /^options\.rank/, kind, { rank: rows });
      fitFails(V, /^options\.W\.rows/, kind, { rank: 2, W: { rows, cols: 2, data: [1, 1, 1, 1] } });
    }
  });

  it('rows·cols beyond 2^31 entries, or beyond the machine’s memory, before anything is allocated', () => {
    const before = process.memoryUsage().rss;
    const started = performance.now();
    fitFails({ rows: 65536, cols: 65536, data: [] }, /^V is too large: 65536×65536/, RangeError);
    fitFails({ rows: 2 ** 31 - 1, cols: 2 ** 31 - 1, data: new Float64Array(0) }, /^V is too large/, RangeError);
    fitFails([[1, 2]], /^(W|H) is too large|needs at least/, RangeError, { rank: 2 ** 31 - 1 });
    // The given factor's shape is checked before its entries are copied.
    fitFails(V, /^options\.W must be 2×2/, RangeError, { rank: 2, W: { rows: 2 ** 31 - 1, cols: 1, data: new Array(10) } });
    // A sparse array of a plausible length claims 16 GiB: refused at its first hole, without touching the rest —
    // or, where the entry may plan on less than 16 GiB (a smaller machine; wasm as the only backend), for its size.
    const sparse = catchError(() => nmfSync({ rows: 1, cols: 2 ** 31 - 1, data: new Array(2 ** 31 - 1) }, OPTIONS));
    if (sparse instanceof RangeError)
      expect(sparse.message).toMatch(/^V is too large: 1×2147483647 = 2147483647 entries need 16\.0 GiB as float64, more than /);
    else
      fitFails(
        { rows: 1, cols: 2 ** 31 - 1, data: new Array(2 ** 31 - 1) },
        /V\.data\[0\] \(row 0, column 0\) must be a number, got undefined/,
      );
    expect(performance.now() - started).toBeLessThan(1000 * MS);
    expect(rssGrowth(before)).toBeLessThan(64 * 2 ** 20);
  });

  it.each(BACKENDS)('a huge rank with a tiny V is a RangeError at once, without memory growth, on %s', (backend) => {
    if (!backendAvailable(backend)) return;
    const before = process.memoryUsage();
    const started = performance.now();
    // Ranks whose W, H or R×R Grams cannot fit in this machine's memory (the memory rule of validate.ts).
    for (const rank of [2 ** 31 - 1, 2 ** 26, 2 ** 20]) {
      for (const fit of [
        (o: NmfOptions) => nmfSync([[1]], o),
        (o: NmfOptions) => nmfSync({ rows: 3, cols: 2, data: [1, 2, 3, 4, 5, 6] }, o),
      ]) {
        expect(() => fit({ rank, maxIter: 1, backend })).toThrow(RangeError);
        expect(() => fit({ rank, maxIter: 1, backend })).toThrow(/options\.rank|too large/);
      }
    }
    expect(performance.now() - started).toBeLessThan(500 * MS);
    const after = process.memoryUsage();
    expect(rssGrowth(before.rss)).toBeLessThan(32 * 2 ** 20);
    expect(after.external - before.external).toBeLessThan(16 * 2 ** 20);
  });

  it('entries that are not finite numbers ≥ 0, or cannot be read', () => {
    for (const [entry, kind] of [
      ['1', TypeError],
      [1n, TypeError],
      [null, TypeError],
      [undefined, TypeError],
      [Object(1), TypeError],
      [NaN, RangeError],
      [-1, RangeError],
      [Infinity, RangeError],
      [-0.5, RangeError],
    ] as const) {
      fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, entry, 6] }, /V\.data\[4\] \(row 1, column 1\)/, kind);
      fitFails(
        [
          [1, 2, 3],
          [4, entry, 6],
        ],
        /V\[1\]\[1\] \(row 1, column 1\)/,
        kind,
      );
    }
    // Typed arrays are scanned four entries at a time: a bad entry at every position of a group and of the tail
    // (3×3 = two groups and one more) is named, and of two bad entries the first.
    for (const bad of [NaN, -1, Infinity, -Infinity, -Number.MIN_VALUE]) {
      for (let k = 0; k < 9; k++) {
        const data = Float64Array.from({ length: 9 }, (_, i) => i + 1);
        data[k] = bad;
        if (k < 8) data[8] = -2;
        const where = (name: string): RegExp =>
          new RegExp(
            `^${name} must be finite and ≥ 0, but ${name}\\.data\\[${k}\\] \\(row ${Math.floor(k / 3)}, column ${k % 3}\\) is ${String(bad)}`,
          );
        const ones = { rows: 3, cols: 3, data: new Float64Array(9).fill(1) };
        fitFails({ rows: 3, cols: 3, data }, where('V'), RangeError, { rank: 2 });
        // A synchronous fit borrows a given factor as it does V; the check is the same.
        fitFails(ones, where('options\\.W'), RangeError, { rank: 3, W: { rows: 3, cols: 3, data }, H: ones });
      }
    }
    const getterData = [1, 2, 3, 4, 5, 6];
    Object.defineProperty(getterData, 4, { get: boom('entry') });
    fitFails({ rows: 2, cols: 3, data: getterData }, /^V\.data\[4\] could not be read: Error: hostile entry/);
    const getterRows = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    Object.defineProperty(getterRows, 1, { get: boom('row') });
    fitFails(getterRows, /^V\[1\] could not be read: Error: hostile row/);
    const getterEntry = [
      [1, 2, 3],
      [4, 5, 6],
    ];
    Object.defineProperty(getterEntry[1], 2, { get: boom('entry') });
    fitFails(getterEntry, /^V\[1\]\[2\] could not be read/);
    fitFails({ rows: 2, cols: 3, data: throwingProxy([1, 2, 3, 4, 5, 6]) }, /^V\.data.*could not be read|^V\.data must be/);
    fitFails([[1, 2, 3], throwingProxy([4, 5, 6])], /^V\[1\]\.length could not be read/);
    fitFails(
      throwingProxy([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      /^V\.length could not be read/,
    );
    fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5] }, /^V\.data has 5 entries/, RangeError);
    fitFails(
      [
        [1, 2, 3],
        [4, 5],
      ],
      /^V is ragged/,
      RangeError,
    );
    // Sparse arrays: a hole reads as undefined.
    fitFails({ rows: 2, cols: 3, data: [1, 2, 3, 4, , 6] }, /V\.data\[4\].*got undefined/); // eslint-disable-line no-sparse-arrays
  });

  it('typed arrays: BigInt and other non-number element types, a fake Float64Array, a detached buffer', () => {
    for (const data of [new Float64Array(6).buffer, new BigInt64Array(6), new BigUint64Array(6), new DataView(new ArrayBuffer(48))]) {
      fitFails({ rows: 2, cols: 3, data }, /^V\.data must be a Float64Array, Float32Array, an integer typed array or number\[\]/);
      fitFails([new Float64Array(3), data], /^V\[1\] must be an array of numbers \(or a typed array of them\)/);
    }
    // An Int32Array dressed up as a Float64Array, and a proxy of a real one: recognised by their internal slots.
    const disguised = Object.setPrototypeOf(new Int32Array(6), Float64Array.prototype) as Float64Array;
    const disguisedBig = Object.setPrototypeOf(new BigInt64Array(6), Float64Array.prototype) as unknown as Float64Array;
    fitFails({ rows: 2, cols: 3, data: disguisedBig }, /^V\.data must be a Float64Array.*got a BigInt64Array/);
    // An Int32Array dressed up as a Float64Array is read as the Int32Array it is.
    expect(Array.from(nmfSync({ rows: 2, cols: 3, data: disguised }, { ...OPTIONS, maxIter: 0 }).W.data)).toHaveLength(4);
    fitFails({ rows: 2, cols: 3, data: new Proxy(new Float64Array(6), {}) }, /^V\.data must be a Float64Array/);
    // A Float64Array whose own `length` lies is read by its real length.
    const lying = new Float64Array([1, 2, 3, 4, 5, 6]);
    Object.defineProperty(lying, 'length', { get: boom('length') });
    expect(nmfSync({ rows: 2, cols: 3, data: lying }, OPTIONS).W.rows).toBe(2);
    fitFails({ rows: 2, cols: 2, data: detachedFloat64Array(4) }, /^V\.data is a Float64Array whose buffer has been detached/);
    const f32 = new Float32Array(4);
    structuredClone(f32.buffer, { transfer: [f32.buffer] });
    fitFails({ rows: 2, cols: 2, data: f32 }, /^V\.data is a Float32Array whose buffer has been detached/);
    fitFails(V, /^options\.W\.data is a Float64Array whose buffer has been detached/, TypeError, {
      rank: 2,
      W: { rows: 2, cols: 2, data: detachedFloat64Array(4) },
    });
  });

  it.each(BACKENDS)('SharedArrayBuffer-backed input is accepted, copied once, and fits like a private array on %s', async (backend) => {
    if (!backendAvailable(backend)) return;
    const shared = new Float64Array(new SharedArrayBuffer(6 * 8));
    shared.set([1, 2, 3, 4, 5, 6]);
    const plain = nmfSync(V, { ...OPTIONS, backend });
    for (const result of [
      nmfSync({ rows: 2, cols: 3, data: shared }, { ...OPTIONS, backend }),
      await nmf({ rows: 2, cols: 3, data: shared }, { ...OPTIONS, backend }),
    ]) {
      expect(result.W.data).toEqual(plain.W.data);
      expect(result.W.data.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    }
    expect(Array.from(shared)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
