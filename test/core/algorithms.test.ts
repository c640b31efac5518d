/**
 * The algorithms beyond libfmp-compatible MU (docs/algorithms.md) on both backends, through the public API: every loss and
 * solver, with masks, penalties, fixed factors, stop rules, errorEvery and normalisation, against the plain
 * TypeScript reference (test/reference/fit.ts) to 1e-9 — W, H, the change norms, the objective and its history,
 * the iteration count and the stop reason. Then the properties the reference cannot show for a backend: zeros of
 * W0/H0 stay zero, updateW: false returns W bit-identical, masked entries of V change nothing, the objective
 * never increases, async = sync, float32 close to float64.
 */
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync, type NmfOptions, type NmfResult } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';
import { fit, type FitOptions } from '../reference/fit.js';
import { mat } from '../reference/linalg.js';
import { Random } from '../../src/random.js';

const K = 12;
const N = 9;
const R = 3;
const V = randomMatrix(K, N, 11);
const W0 = randomMatrix(K, R, 12);
const H0 = randomMatrix(R, N, 13);

/** A mask with zeros (about a quarter), ones and fractions. */
function makeMask(seed: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: K * N }, () => {
    const u = random.nextDouble();
    return u < 0.25 ? 0 : u < 0.6 ? 1 : u;
  });
}
const MASK = makeMask(14);

type Case = Omit<FitOptions, 'maxIter' | 'mask'> & { mask?: boolean };

const CASES: [string, Case][] = [
  ['euclidean with a mask', { mask: true }],
  ['kl', { loss: 'kl' }],
  ['kl with a mask', { loss: 'kl', mask: true }],
  ['is', { loss: 'is' }],
  ['β = 0.5', { loss: 0.5 }],
  ['β = 1.5', { loss: 1.5 }],
  ['β = 3', { loss: 3 }],
  ['is with a mask', { loss: 'is', mask: true }],
  ['β = 0.5 with a mask, l1', { loss: 0.5, mask: true, l1H: 0.02 }],
  ['β = 1.5 with a mask', { loss: 1.5, mask: true }],
  ['β = 3 with a mask, l2', { loss: 3, mask: true, l2W: 0.1, l2H: 0.1 }],
  ['euclidean, l1 and l2 on both factors', { l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 }],
  ['kl, l1', { loss: 'kl', l1W: 0.05, l1H: 0.1 }],
  ['kl, l2 (the exact MM step)', { loss: 'kl', l2W: 0.3, l2H: 0.1 }],
  ['is, l1', { loss: 'is', l1H: 0.01 }],
  ['β = 3, l2', { loss: 3, l2W: 0.1, l2H: 0.1 }],
  ['updateW: false', { updateW: false }],
  ['updateH: false', { updateH: false }],
  ['fixedColumnsW [0, 2]', { fixedColumnsW: [0, 2] }],
  ['kl, fixedColumnsW [1], with a mask', { loss: 'kl', fixedColumnsW: [1], mask: true }],
  ['is, updateW: false', { loss: 'is', updateW: false }],
  ['hals', { solver: 'hals' }],
  ['hals, l1 and l2', { solver: 'hals', l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 }],
  ['hals, fixedColumnsW [1]', { solver: 'hals', fixedColumnsW: [1] }],
  ['hals, updateW: false', { solver: 'hals', updateW: false }],
  ['hals, updateH: false', { solver: 'hals', updateH: false }],
  ['euclidean, errorEvery 3', { errorEvery: 3 }],
  ['kl, errorEvery 1', { loss: 'kl', errorEvery: 1 }],
  ['euclidean, stop objective', { stop: 'objective', tol: 1e-4 }],
  ['kl, stop objective, errorEvery 4', { loss: 'kl', stop: 'objective', tol: 1e-3, errorEvery: 4 }],
  ['hals, stop objective', { solver: 'hals', stop: 'objective', tol: 1e-5 }],
  ['stop change with tol 0.05', { stop: 'change', tol: 0.05 }],
  ['stop none', { stop: 'none', tol: 1e9 }],
  ['normalize l1', { normalize: 'l1' }],
  ['normalize l2, kl', { loss: 'kl', normalize: 'l2' }],
  ['normalize max, fixedColumnsW [2], l1', { normalize: 'max', fixedColumnsW: [2], l1W: 0.1 }],
  ['normalize l2, updateH: false', { normalize: 'l2', updateH: false }],
];

const MAX_ITER = 40;

/** nmfSync's options for a case (mask NaN where it is 0, to check missing entries are accepted). */
function options(c: Case, backend: string, extra: Partial<NmfOptions> = {}): NmfOptions {
  const { mask, ...rest } = c;
  return {
    rank: R,
    W: W0,
    H: H0,
    maxIter: MAX_ITER,
    tol: 0,
    ...(rest as Partial<NmfOptions>),
    ...(mask ? { mask: { rows: K, cols: N, data: MASK } } : {}),
    backend: backend as NmfOptions['backend'],
    ...extra,
  };
}

function vWithGaps(c: Case): { rows: number; cols: number; data: Float64Array } {
  if (!c.mask) return V;
  return { rows: K, cols: N, data: V.data.map((x, k) => (MASK[k] === 0 ? NaN : x)) };
}

function reference(c: Case) {
  const { mask, ...rest } = c;
  // The reference reads V everywhere; where the mask is 0 the facade writes 0 for the NaN, so the reference gets 0.
  const Vr = mask
    ? mat(
        K,
        N,
        V.data.map((x, k) => (MASK[k] === 0 ? 0 : x)),
      )
    : mat(K, N, V.data);
  return fit(Vr, mat(K, R, W0.data), mat(R, N, H0.data), {
    tol: 0,
    ...rest,
    maxIter: MAX_ITER,
    ...(mask ? { mask: mat(K, N, MASK) } : {}),
  } as FitOptions);
}

/** |a − b| / scale for arrays, the largest entry. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, scale: number): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

function expectLikeReference(result: NmfResult, ref: ReturnType<typeof reference>): void {
  expect(result.iterations).toBe(ref.iterations);
  expect(result.stopReason).toBe(ref.stopReason);
  expect(relativeError(result.W.data, ref.W.data)).toBeLessThan(1e-9);
  expect(relativeError(result.H.data, ref.H.data)).toBeLessThan(1e-9);
  const f0 = ref.history[0]!.value;
  expect(Math.abs(result.objective - ref.objective) / f0).toBeLessThan(1e-9);
  expect(Array.from(result.objectiveHistory.iterations)).toEqual(ref.history.map((h) => h.iteration));
  // In-loop values may come from products (docs/algorithms.md §7): close to the explicit ones relative to F0.
  expect(
    maxDiff(
      result.objectiveHistory.values,
      ref.history.map((h) => h.value),
      f0,
    ),
  ).toBeLessThan(1e-9);
  const changeScale = Math.max(1e-300, ...ref.hChange, ...ref.wChange);
  expect(maxDiff(result.hChange, ref.hChange, changeScale)).toBeLessThan(1e-9);
  expect(maxDiff(result.wChange, ref.wChange, changeScale)).toBeLessThan(1e-9);
}

describe.each(BACKENDS)('%s backend', (backend) => {
  const available = backendAvailable(backend);

  describe.skipIf(!available)('against the reference', () => {
    it.each(CASES)('%s', (_label, c) => {
      expectLikeReference(nmfSync(vWithGaps(c), options(c, backend)), reference(c));
    });
  });

  describe.skipIf(!available)('properties', () => {
    it.each([['euclidean'], ['kl'], ['is'], [0.5], [3]] as const)('zeros of W0 and H0 stay zero under MU (loss %s)', (loss) => {
      const W = Float64Array.from(W0.data, (x, k) => (k % 4 === 1 ? 0 : x));
      const H = Float64Array.from(H0.data, (x, k) => (k % 5 === 2 ? 0 : x));
      const result = nmfSync(V, {
        rank: R,
        W: { rows: K, cols: R, data: W },
        H: { rows: R, cols: N, data: H },
        loss,
        maxIter: 60,
        tol: 0,
        backend,
      });
      W.forEach((x, k) => x === 0 && expect(result.W.data[k]).toBe(0));
      H.forEach((x, k) => x === 0 && expect(result.H.data[k]).toBe(0));
      expect(result.W.data.some((x) => x > 0)).toBe(true);
    });

    // Whole zero rows and columns are accepted on purpose: score-informed NMF sets a pitch absent from the score
    // (a row of H) or a silent frame (a column of H) to zero. MU keeps them; HALS, which is not multiplicative, may
    // leave them.
    it.each([['mu'], ['hals']] as const)('all-zero rows and columns of W0 and H0 are accepted (solver %s)', (solver) => {
      const W = Float64Array.from(W0.data, (x, k) => (Math.floor(k / R) === 2 || k % R === 1 ? 0 : x));
      const H = Float64Array.from(H0.data, (x, k) => (Math.floor(k / N) === 0 || k % N === 4 ? 0 : x));
      const start = { rows: K, cols: R, data: W };
      const startH = { rows: R, cols: N, data: H };
      const result = nmfSync(V, { rank: R, W: start, H: startH, solver, maxIter: 40, tol: 0, backend });
      const zerosKept = W.every((x, k) => x !== 0 || result.W.data[k] === 0) && H.every((x, k) => x !== 0 || result.H.data[k] === 0);
      expect(zerosKept).toBe(solver === 'mu');
      const { values } = result.objectiveHistory;
      expect(values[values.length - 1]).toBeLessThan(values[0]!);
    });

    it.each([['euclidean'], ['kl'], ['is'], [0.5]] as const)('updateW: false returns W bit-identical (loss %s, normalize max)', (loss) => {
      const result = nmfSync(V, { rank: R, W: W0, H: H0, loss, updateW: false, normalize: 'max', maxIter: 30, backend });
      expect(Array.from(result.W.data)).toEqual(Array.from(W0.data));
      expect(result.wChange.every((x) => x === 0)).toBe(true);
    });

    it('fixed columns of W come back bit-identical, the others learn', () => {
      const result = nmfSync(V, { rank: R, W: W0, H: H0, fixedColumnsW: [1], loss: 'kl', normalize: 'l1', maxIter: 30, backend });
      for (let i = 0; i < K; i++) {
        expect(result.W.data[i * R + 1]).toBe(W0.data[i * R + 1]);
        expect(result.W.data[i * R]).not.toBe(W0.data[i * R]);
      }
    });

    it.each([['euclidean'], ['kl']] as const)('masked entries of V change nothing (loss %s)', (loss) => {
      const mask = { rows: K, cols: N, data: MASK };
      const a = nmfSync(V, { rank: R, W: W0, H: H0, mask, loss, maxIter: 30, backend });
      const changed = { rows: K, cols: N, data: V.data.map((x, k) => (MASK[k] === 0 ? 100 * x + 7 : x)) };
      const b = nmfSync(changed, { rank: R, W: W0, H: H0, mask, loss, maxIter: 30, backend });
      expect(Array.from(b.W.data)).toEqual(Array.from(a.W.data));
      expect(Array.from(b.H.data)).toEqual(Array.from(a.H.data));
      expect(b.objective).toBe(a.objective);
      // reconstruct() fills the gaps with W·H.
      const filled = a.reconstruct();
      expect(filled.data.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
    });

    it('a mask of ones gives the unmasked fit up to rounding', () => {
      const ones = { rows: K, cols: N, data: new Float64Array(K * N).fill(1) };
      const masked = nmfSync(V, { rank: R, W: W0, H: H0, mask: ones, maxIter: 30, tol: 0, backend });
      const plain = nmfSync(V, { rank: R, W: W0, H: H0, maxIter: 30, tol: 0, backend });
      expect(relativeError(masked.W.data, plain.W.data)).toBeLessThan(1e-12);
      expect(relativeError(masked.H.data, plain.H.data)).toBeLessThan(1e-12);
    });

    it.each([
      ['euclidean', {}],
      ['kl', { loss: 'kl' }],
      ['is', { loss: 'is' }],
      ['β = 0.5, l1', { loss: 0.5, l1H: 0.05 }],
      ['β = 3, l2', { loss: 3, l2W: 0.1 }],
      ['kl, l2', { loss: 'kl', l2H: 0.2 }],
      ['hals, l1 and l2', { solver: 'hals', l1W: 0.1, l2H: 0.1 }],
      ['euclidean with a mask', { mask: { rows: K, cols: N, data: MASK } }],
    ] as const)('the objective never increases (%s)', (_label, extra) => {
      const W = randomMatrix(K, R, 21);
      const H = randomMatrix(R, N, 22);
      const result = nmfSync(V, { rank: R, W, H, maxIter: 200, tol: 0, errorEvery: 1, stop: 'none', backend, ...extra } as NmfOptions);
      const values = result.objectiveHistory.values;
      expect(values.length).toBe(201);
      for (let i = 1; i < values.length; i++) expect(values[i]! - values[i - 1]!).toBeLessThanOrEqual(1e-12 * values[0]!);
      expect(values[values.length - 1]).toBeLessThan(values[0]!);
    });

    it.each([
      ['kl with a mask', { loss: 'kl', mask: { rows: K, cols: N, data: MASK }, errorEvery: 5 }],
      ['hals, l1', { solver: 'hals', l1H: 0.1 }],
      ['β = 0.5, normalize l2', { loss: 0.5, normalize: 'l2' }],
      ['stop objective', { stop: 'objective', tol: 1e-4, loss: 'is' }],
    ] as const)('async = sync, bit for bit (%s)', async (_label, extra) => {
      const o = { rank: R, W: W0, H: H0, maxIter: 50, backend, ...extra } as NmfOptions;
      const sync = nmfSync(V, o);
      const reported: number[] = [];
      const async = await nmf(V, { ...o, onIteration: (info) => void (info.objective !== undefined && reported.push(info.objective)) });
      expect(Array.from(async.W.data)).toEqual(Array.from(sync.W.data));
      expect(Array.from(async.H.data)).toEqual(Array.from(sync.H.data));
      expect(Array.from(async.objectiveHistory.values)).toEqual(Array.from(sync.objectiveHistory.values));
      expect(async.iterations).toBe(sync.iterations);
      expect(async.stopReason).toBe(sync.stopReason);
      // onIteration sees the checkpoint values of the history.
      const every = o.errorEvery ?? (o.loss === undefined ? 1 : 10);
      const { iterations, values } = sync.objectiveHistory;
      const checkpoints = Array.from(values).filter((_, k) => iterations[k]! > 0 && iterations[k]! % every === 0);
      expect(reported).toEqual(checkpoints);
    });

    it.each([['kl'], ['is'], [0.5]] as const)('float32 agrees with float64 (loss %s)', (loss) => {
      const o: NmfOptions = { rank: R, W: W0, H: H0, loss, maxIter: 50, tol: 0, backend };
      const f64 = nmfSync(V, o);
      const f32 = nmfSync(V, { ...o, dtype: 'float32' });
      expect(relativeError(f32.W.data, f64.W.data)).toBeLessThan(1e-3);
      expect(Math.abs(f32.objective / f64.objective - 1)).toBeLessThan(1e-3);
    });

    it('the libfmp-compatible case reports its objective: ½‖V − WH‖²_F, with a history every iteration', () => {
      const result = nmfSync(V, { rank: R, W: W0, H: H0, maxIter: 25, tol: 0, backend });
      expect(result.objective).toBeCloseTo(0.5 * result.frobeniusError ** 2, 12);
      expect(result.objectiveHistory.iterations.length).toBe(26);
      const ref = fit(mat(K, N, V.data), mat(K, R, W0.data), mat(R, N, H0.data), { maxIter: 25, tol: 0 });
      expect(
        maxDiff(
          result.objectiveHistory.values,
          ref.history.map((h) => h.value),
          ref.history[0]!.value,
        ),
      ).toBeLessThan(1e-9);
    });

    it('maxIter 0: the history is [F(W0, H0)] and objective that of the normalised W0, H0', () => {
      const result = nmfSync(V, { rank: R, W: W0, H: H0, maxIter: 0, loss: 'kl', l1W: 0.5, normalize: 'l1', backend });
      const ref = reference({ loss: 'kl', l1W: 0.5, normalize: 'l1' } as Case);
      const f0 = ref.history[0]!.value;
      expect(Array.from(result.objectiveHistory.iterations)).toEqual([0]);
      expect(Math.abs(result.objectiveHistory.values[0]! - f0) / f0).toBeLessThan(1e-12);
      const normalised = fit(mat(K, N, V.data), mat(K, R, W0.data), mat(R, N, H0.data), {
        loss: 'kl',
        l1W: 0.5,
        normalize: 'l1',
        maxIter: 0,
      });
      expect(Math.abs(result.objective - normalised.objective) / f0).toBeLessThan(1e-12);
    });
  });
});
