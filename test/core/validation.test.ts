/**
 * Every validation rule: the right error class, and a message naming the argument, index and value. And the
 * subpath nmfkit/validation: the entries' own checks, every one documented in docs/api.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync } from '../../src/index.js';
import * as errors from '../../src/errors.js';
import * as validate from '../../src/validate.js';
import * as validation from '../../src/validation.js';

const V = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
const ok = { rank: 2, maxIter: 5, seed: 1 };

function fails(v: unknown, options: unknown, kind: typeof TypeError | typeof RangeError, message: RegExp): void {
  expect(() => nmfSync(v as never, options as never)).toThrow(kind);
  expect(() => nmfSync(v as never, options as never)).toThrow(message);
}

describe('V', () => {
  it('rejects a negative entry, naming index, row, column and value', () => {
    fails({ rows: 2, cols: 3, data: [1, 2, 3, 4, -5, 6] }, ok, RangeError, /V\.data\[4\] \(row 1, column 1\) is -5/);
  });
  it('rejects NaN and infinities', () => {
    fails({ rows: 2, cols: 3, data: [NaN, 2, 3, 4, 5, 6] }, ok, RangeError, /V\.data\[0\].*NaN/);
    fails({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5, Infinity] }, ok, RangeError, /V\.data\[5\].*Infinity/);
    fails(
      [
        [1, 2],
        [3, -Infinity],
      ],
      ok,
      RangeError,
      /V\[1\]\[1\].*-Infinity/,
    );
  });
  it('rejects a non-number entry', () => {
    fails({ rows: 2, cols: 3, data: [1, 2, '3', 4, 5, 6] }, ok, TypeError, /V\.data\[2\].*must be a number, got "3"/);
    fails(
      [
        [1, 2],
        [3, null],
      ],
      ok,
      TypeError,
      /V\[1\]\[1\].*got null/,
    );
  });
  it('rejects data whose length is not rows·cols', () => {
    fails({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5] }, ok, RangeError, /V\.data has 5 entries.*2×3 = 6/);
  });
  it('rejects ragged rows', () => {
    fails(
      [
        [1, 2, 3],
        [4, 5],
      ],
      ok,
      RangeError,
      /ragged: V\[1\] has 2 entries, V\[0\] has 3/,
    );
  });
  it('rejects zero rows or columns', () => {
    fails({ rows: 0, cols: 3, data: [] }, ok, RangeError, /V\.rows must be an integer in \[1/);
    fails({ rows: 2, cols: 0, data: [] }, ok, RangeError, /V\.cols must be an integer in \[1/);
    fails([], ok, RangeError, /V\.length \(rows\)/);
    fails([[]], ok, RangeError, /V\[0\]\.length \(columns\)/);
  });
  it('rejects fractional, negative and huge dimensions', () => {
    fails({ rows: 1.5, cols: 2, data: [1, 2] }, ok, RangeError, /V\.rows.*got 1\.5/);
    fails({ rows: -2, cols: 2, data: [1, 2] }, ok, RangeError, /V\.rows.*got -2/);
    fails({ rows: 2 ** 31, cols: 1, data: [] }, ok, RangeError, /V\.rows/);
    fails({ rows: 65536, cols: 65536, data: [] }, ok, RangeError, /V is too large: 65536×65536/);
  });
  it('rejects things that are not matrices', () => {
    fails(null, ok, TypeError, /V must be a matrix/);
    fails('1,2,3', ok, TypeError, /V must be a matrix.*got "1,2,3"/);
    fails(
      { rows: 1, cols: 2, data: new BigInt64Array(2) },
      ok,
      TypeError,
      /V\.data must be a Float64Array, Float32Array, an integer typed array or number\[\], got a BigInt64Array/,
    );
    fails([1, 2, 3], ok, TypeError, /V\[0\] must be an array/);
  });
  it('accepts Float32Array, Float64Array, number[] and number[][] alike', () => {
    const forms = [
      { rows: 2, cols: 3, data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { rows: 2, cols: 3, data: new Float64Array([1, 2, 3, 4, 5, 6]) },
      { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] },
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ];
    const results = forms.map((v) => nmfSync(v, { ...ok, backend: 'wasm' }));
    for (const r of results) expect(Array.from(r.W.data)).toEqual(Array.from(results[0]!.W.data));
  });
});

describe('options', () => {
  it('requires an options object with a rank', () => {
    fails(V, undefined, TypeError, /options must be an object/);
    fails(V, {}, TypeError, /options\.rank must be a number, got undefined/);
  });
  it('rejects a rank that is not a positive integer', () => {
    fails(V, { rank: 0 }, RangeError, /options\.rank must be an integer in \[1, .*got 0/);
    fails(V, { rank: 2.5 }, RangeError, /options\.rank.*got 2\.5/);
    fails(V, { rank: NaN }, RangeError, /options\.rank.*got NaN/);
    fails(V, { rank: '2' }, TypeError, /options\.rank must be a number, got "2"/);
  });
  it('allows a rank above min(K, N)', () => {
    expect(nmfSync(V, { rank: 5, maxIter: 3, seed: 3, backend: 'wasm' }).W.cols).toBe(5);
  });
  it('rejects maxIter that is not a non-negative integer', () => {
    fails(V, { rank: 1, maxIter: -1 }, RangeError, /options\.maxIter must be an integer in \[0, .*got -1/);
    fails(V, { rank: 1, maxIter: 1.5 }, RangeError, /options\.maxIter.*got 1\.5/);
    fails(V, { rank: 1, maxIter: Infinity }, RangeError, /options\.maxIter.*got Infinity/);
  });
  it('rejects tol and eps that are negative or NaN', () => {
    fails(V, { rank: 1, tol: -1e-3 }, RangeError, /options\.tol must be a finite number ≥ 0, got -0\.001/);
    fails(V, { rank: 1, tol: NaN }, RangeError, /options\.tol.*got NaN/);
    fails(V, { rank: 1, eps: -1 }, RangeError, /options\.eps.*got -1/);
    fails(V, { rank: 1, eps: NaN }, RangeError, /options\.eps.*got NaN/);
  });
  it('rejects unknown options, suggesting the intended name', () => {
    fails(V, { rank: 1, maxiter: 10 }, TypeError, /unknown option options\.maxiter \(did you mean 'maxIter'\?\)/);
    fails(V, { rank: 1, tolerance: 1 }, TypeError, /unknown option options\.tolerance/);
    fails(V, { rank: 1, [Symbol('x')]: 1 }, TypeError, /unknown option options\.Symbol\(x\)/);
  });
  it('rejects a backend name that does not exist', () => {
    fails(V, { rank: 1, backend: 'gpu' }, RangeError, /options\.backend must be one of 'auto', 'native', 'wasm', got "gpu"/);
  });
  it('rejects normalize values other than none, max, l1 and l2', () => {
    fails(V, { rank: 1, normalize: 'l3' }, RangeError, /options\.normalize must be one of 'none', 'max', 'l1', 'l2', got "l3"/);
  });
  it('rejects a seed that is not a safe integer and a callback that is not a function', () => {
    fails(V, { rank: 1, seed: 1.5 }, RangeError, /options\.seed must be a safe integer, got 1\.5/);
    fails(V, { rank: 1, seed: '7' }, TypeError, /options\.seed must be a number/);
    fails(V, { rank: 1, onIteration: 'log' }, TypeError, /options\.onIteration must be a function/);
  });
});

describe('initial factors', () => {
  it('rejects W and H whose shapes do not fit V and rank', () => {
    fails(
      V,
      { rank: 2, W: { rows: 3, cols: 2, data: [1, 1, 1, 1, 1, 1] } },
      RangeError,
      /options\.W must be 2×2 \(rows of V × rank\), got 3×2/,
    );
    fails(
      V,
      {
        rank: 2,
        H: [
          [1, 1],
          [1, 1],
        ],
      },
      RangeError,
      /options\.H must be 2×3 \(rank × columns of V\), got 2×2/,
    );
  });
  it('rejects negative, NaN or infinite entries in W and H', () => {
    fails(
      V,
      { rank: 1, W: [[1], [-1]] },
      RangeError,
      /options\.W must be finite and ≥ 0, but options\.W\[1\]\[0\] \(row 1, column 0\) is -1/,
    );
    fails(V, { rank: 1, H: { rows: 1, cols: 3, data: [1, NaN, 1] } }, RangeError, /options\.H\.data\[1\].*NaN/);
  });
});

describe('nmf (async)', () => {
  it('rejects the promise instead of throwing', async () => {
    const pending = nmf(V, { rank: 0 });
    await expect(pending).rejects.toThrow(RangeError);
    await expect(nmf(V, { rank: 1, nope: 1 } as never)).rejects.toThrow(/unknown option options\.nope/);
  });
});

describe('nmfkit/validation', () => {
  it('exports the checks the entries use (the same functions), each documented in docs/api.md', () => {
    const names = Object.keys(validation);
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) {
      const own = (validate as Record<string, unknown>)[name] ?? (errors as Record<string, unknown>)[name];
      expect((validation as Record<string, unknown>)[name], name).toBe(own);
    }
    const api = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = /^## `nmfkit\/validation`$([\s\S]*?)^## /m.exec(api)?.[1] ?? '';
    expect(names.filter((name) => !new RegExp(`\`${name}[(\`]`).test(section))).toEqual([]);
  });

  it('refuses as the entries do: the same classes, messages and codes', () => {
    const coded = <E extends Error>(error: E, code: string): E => Object.assign(error, { code });
    expect(() => validation.toMatrix('W', [[1], [-1]])).toThrow(
      coded(new RangeError('W must be finite and ≥ 0, but W[1][0] (row 1, column 0) is -1'), 'NMFKIT_INVALID_VALUE'),
    );
    expect(() => validation.checkCount('options.rank', 0)).toThrow(
      coded(new RangeError('options.rank must be an integer in [1, 2^31 - 1], got 0'), 'NMFKIT_INVALID_VALUE'),
    );
    expect(() => validation.readOptions('options', { Rank: 1 }, ['rank'])).toThrow(
      coded(new TypeError("unknown option options.Rank (did you mean 'rank'?)"), 'NMFKIT_INVALID_TYPE'),
    );
    expect(() => validation.checkedSize('V', 2 ** 20, 2 ** 20)).toThrow(
      coded(new RangeError('V is too large: 1048576×1048576 = 1099511627776 entries (limit 2^31 - 1)'), 'NMFKIT_TOO_LARGE'),
    );
  });
});
