/**
 * The options of docs/algorithms.md at the facade: one test per validation rule (the error's class and that its
 * message names the option, index and value), inputs left unchanged, and restarts.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync, type NmfOptions } from '../../src/index.js';
import { randomMatrix } from '../support/helpers.js';

const K = 6;
const N = 5;
const V = randomMatrix(K, N, 1);
const base: NmfOptions = { rank: 2, maxIter: 5, seed: 1 };

function fails(
  options: Partial<NmfOptions> | Record<string, unknown>,
  kind: typeof TypeError | typeof RangeError,
  pattern: RegExp,
  input: unknown = V,
): void {
  const call = () => nmfSync(input as typeof V, { ...base, ...options } as NmfOptions);
  expect(call).toThrow(kind);
  expect(call).toThrow(pattern);
}

describe('validation of the algorithm options', () => {
  it('loss: a name or a finite number', () => {
    fails({ loss: 'kullback' }, RangeError, /options\.loss must be 'euclidean', 'kl', 'is' or a finite number β, got "kullback"/);
    fails({ loss: {} }, TypeError, /options\.loss/);
    fails({ loss: NaN }, RangeError, /options\.loss .*finite number β, got NaN/);
    fails({ loss: Infinity }, RangeError, /options\.loss .*Infinity/);
    expect(nmfSync(V, { ...base, loss: -0.5 }).objective).toBeGreaterThan(0);
  });

  it('solver: mu or hals; hals only with the Euclidean loss and no mask', () => {
    fails({ solver: 'cd' }, RangeError, /options\.solver must be one of 'mu', 'hals'/);
    fails({ solver: 'hals', loss: 'kl' }, RangeError, /solver 'hals' is for the Euclidean loss only/);
    fails(
      { solver: 'hals', mask: { rows: K, cols: N, data: new Float64Array(K * N).fill(1) } },
      RangeError,
      /options\.mask needs solver 'mu'/,
    );
  });

  it.each(['l1W', 'l2W', 'l1H', 'l2H'])('%s: a finite number ≥ 0', (name) => {
    fails({ [name]: -1 }, RangeError, new RegExp(`options\\.${name} must be a finite number ≥ 0, got -1`));
    fails({ [name]: Infinity }, RangeError, new RegExp(`options\\.${name}`));
    fails({ [name]: '1' }, TypeError, new RegExp(`options\\.${name} must be a number`));
  });

  it('updateW / updateH: booleans, not both false', () => {
    fails({ updateW: 1 }, TypeError, /options\.updateW must be a boolean, got 1/);
    fails({ updateH: 'no' }, TypeError, /options\.updateH must be a boolean/);
    fails({ updateW: false, updateH: false }, RangeError, /both false/);
  });

  it('fixedColumnsW: distinct integers in [0, rank)', () => {
    fails({ fixedColumnsW: 1 }, TypeError, /options\.fixedColumnsW must be an array/);
    fails({ fixedColumnsW: [2] }, RangeError, /options\.fixedColumnsW\[0\] must be an integer in \[0, rank − 1 = 1\], got 2/);
    fails({ fixedColumnsW: [0, 1.5] }, RangeError, /options\.fixedColumnsW\[1\].*1\.5/);
    fails({ fixedColumnsW: ['0'] }, TypeError, /options\.fixedColumnsW\[0\] must be a number/);
    fails({ fixedColumnsW: [1, 1] }, RangeError, /options\.fixedColumnsW\[1\] = 1 is listed twice/);
    fails({ fixedColumnsW: [0, 1], updateH: false }, RangeError, /would learn nothing/);
  });

  it('mask: the shape of V, entries in [0, 1], with solver mu', () => {
    const mask = (data: number[]) => ({ rows: K, cols: N, data });
    const ones = Array<number>(K * N).fill(1);
    fails({ mask: { rows: N, cols: K, data: ones } }, RangeError, /options\.mask must be 6×5 \(the shape of V\), got 5×6/);
    fails({ mask: mask(ones.map((x, k) => (k === 7 ? 1.5 : x))) }, RangeError, /options\.mask entry 7 \(row 1, column 2\) is 1\.5/);
    fails({ mask: mask(ones.map((x, k) => (k === 3 ? -0.5 : x))) }, RangeError, /options\.mask must be finite and ≥ 0.*\[3\]/);
    fails({ mask: mask(ones), solver: 'hals' }, RangeError, /options\.mask needs solver 'mu'/);
    fails({ mask: 'all' }, TypeError, /options\.mask must be a matrix/);
  });

  it('NaN in V marks a missing entry: only where the mask is 0', () => {
    const data = Float64Array.from(V.data);
    data[8] = NaN;
    const gappy = { rows: K, cols: N, data };
    fails({}, RangeError, /V must be finite and ≥ 0, but V\.data\[8\] \(row 1, column 3\) is NaN/, gappy);
    const mask = { rows: K, cols: N, data: new Float64Array(K * N).fill(1) };
    fails({ mask }, RangeError, /V holds NaN at entry 8 \(row 1, column 3\) where options\.mask is 1/, gappy);
    mask.data[8] = 0;
    const result = nmfSync(gappy, { ...base, mask });
    expect(Number.isNaN(data[8])).toBe(true); // the caller's array is not touched
    expect(Number.isFinite(result.reconstruct().data[8])).toBe(true);
  });

  it('losses with β ≤ 0 need V > 0 where the mask is not 0', () => {
    const data = Float64Array.from(V.data);
    data[4] = 0;
    fails({ loss: 'is' }, RangeError, /V has a zero at entry 4 \(row 0, column 4\), where the β = 0 divergence is infinite/, {
      rows: K,
      cols: N,
      data,
    });
    fails({ loss: -1 }, RangeError, /β = -1/, { rows: K, cols: N, data });
    expect(nmfSync({ rows: K, cols: N, data }, { ...base, loss: 'kl' }).objective).toBeGreaterThan(0);
  });

  it('eps must be > 0 with a loss other than Euclidean or with a mask', () => {
    fails({ loss: 'kl', eps: 0 }, RangeError, /options\.eps must be > 0 with loss β = 1/);
    fails(
      { mask: { rows: K, cols: N, data: new Float64Array(K * N).fill(1) }, eps: 0 },
      RangeError,
      /options\.eps must be > 0 with a mask/,
    );
    expect(nmfSync(V, { ...base, eps: 0, l1W: 0.1 }).objective).toBeGreaterThan(0);
    // An eps that float32 rounds to 0 is the same mistake, said as such (it was blamed on V's size).
    fails({ loss: 'kl', eps: 1e-46, dtype: 'float32' }, RangeError, /options\.eps = 1e-46 is 0 in float32/);
    expect(nmfSync(V, { ...base, loss: 'kl', eps: 1e-44, dtype: 'float32' }).objective).toBeGreaterThan(0);
    expect(nmfSync(V, { ...base, loss: 'kl', eps: 1e-46 }).objective).toBeGreaterThan(0);
  });

  it('stop and errorEvery', () => {
    fails({ stop: 'never' }, RangeError, /options\.stop must be one of 'change', 'objective', 'none'/);
    fails({ errorEvery: 0 }, RangeError, /options\.errorEvery must be an integer in \[1, 2\^31 - 1\], got 0/);
    fails({ errorEvery: 2.5 }, RangeError, /options\.errorEvery.*2\.5/);
    fails({ errorEvery: '3' }, TypeError, /options\.errorEvery must be a number/);
  });

  it('normalize takes l1 and l2', () => {
    fails({ normalize: 'l3' }, RangeError, /options\.normalize must be one of 'none', 'max', 'l1', 'l2'/);
  });

  it('restarts: an integer ≥ 1, with an initialisation that uses the seed', () => {
    fails({ restarts: 0 }, RangeError, /options\.restarts must be an integer/);
    fails({ restarts: 2, init: 'nndsvd' }, RangeError, /options\.restarts = 2 needs an initialisation that uses the seed/);
    fails({ restarts: 2, W: randomMatrix(K, 2, 3), H: randomMatrix(2, N, 4) }, RangeError, /every run would be the same/);
    fails({ restarts: 3, seed: Number.MAX_SAFE_INTEGER - 1 }, RangeError, /options\.seed \+ options\.restarts − 1/);
  });

  it('unknown option names are still rejected, with a hint', () => {
    fails({ los: 'kl' }, TypeError, /los/);
  });

  it('nmf rejects (does not throw) for the same rules', async () => {
    await expect(nmf(V, { ...base, solver: 'hals', loss: 'is' })).rejects.toThrow(RangeError);
  });
});

describe('restarts', () => {
  it('runs seed, seed + 1, … and keeps the run with the lowest objective', async () => {
    const X = randomMatrix(20, 15, 9);
    const o: NmfOptions = { rank: 4, maxIter: 30, tol: 0, seed: 100, loss: 'kl' };
    const single = [100, 101, 102, 103].map((seed) => nmfSync(X, { ...o, seed }));
    const result = nmfSync(X, { ...o, restarts: 4 });
    expect(Array.from(result.restartObjectives)).toEqual(single.map((r) => r.objective));
    const best = single.reduce((b, r, k) => (r.objective < single[b]!.objective ? k : b), 0);
    expect(result.seed).toBe(100 + best);
    expect(Array.from(result.W.data)).toEqual(Array.from(single[best]!.W.data));
    expect(result.objective).toBe(Math.min(...single.map((r) => r.objective)));
    const async = await nmf(X, { ...o, restarts: 4 });
    expect(Array.from(async.restartObjectives)).toEqual(Array.from(result.restartObjectives));
    expect(Array.from(async.H.data)).toEqual(Array.from(result.H.data));
  });

  it('onIteration sees the run index; returning false stops every run', () => {
    const runs = new Set<number>();
    const result = nmfSync(V, {
      ...base,
      maxIter: 10,
      restarts: 3,
      onIteration: ({ run, iteration }) => {
        runs.add(run);
        return !(run === 1 && iteration === 4);
      },
    });
    expect([...runs]).toEqual([0, 1]);
    expect(result.restartObjectives.length).toBe(2);
  });

  it('a single run reports its own objective as restartObjectives', () => {
    const result = nmfSync(V, base);
    expect(Array.from(result.restartObjectives)).toEqual([result.objective]);
  });
});
