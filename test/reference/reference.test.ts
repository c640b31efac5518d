/**
 * The plain-TypeScript reference implementation (test/reference) checked against itself and libfmp's fixtures: it is what
 * the backends' β-MU / HALS / mask / regularization kernels are compared with, so it must be right.
 *
 *  - the Euclidean MU reproduces every libfmp fixture (test/fixtures/libfmp-mu) to 1e-9;
 *  - every loss and solver is monotone, half-step by half-step (allowing 1e-12 of the initial objective);
 *  - zeros of W0/H0 stay zero under MU; masked entries have no influence; fixed factors stay bit-identical.
 */
import { describe, expect, it } from 'vitest';
import { closeTo, loadFixture, loadFixtures, randomMatrix, relativeError, type Fixture } from '../support/helpers.js';
import { defaultErrorEvery, fit } from './fit.js';
import { halsIteration } from './hals.js';
import { copy, mat, mul, mulNT, mulTN, spectralNorm, sub, type Mat } from './linalg.js';
import { muIteration, transposed, type UpdateOptions } from './mu.js';
import { betaOf, euclideanFromProducts, mmExponent, objective, type Loss } from './objective.js';

function fromFixture(f: Fixture): { V: Mat; W0: Mat; H0: Mat } {
  const { V, W0, H0 } = f.input;
  return { V: mat(V.rows, V.cols, V.data), W0: mat(W0.rows, W0.cols, W0.data), H0: mat(H0.rows, H0.cols, H0.data) };
}

function randomProblem(K: number, N: number, R: number, seed: number): { V: Mat; W0: Mat; H0: Mat } {
  return {
    V: mat(K, N, randomMatrix(K, N, seed).data),
    W0: mat(K, R, randomMatrix(K, R, seed + 1).data),
    H0: mat(R, N, randomMatrix(R, N, seed + 2).data),
  };
}

function sameBits(a: Mat, b: Mat): boolean {
  return a.data.length === b.data.length && a.data.every((x, k) => Object.is(x, b.data[k]));
}

const ALL_LOSSES: Loss[] = ['euclidean', 'kl', 'is', 0.5, 1.5, 3, -0.5];
/** Losses defined where V has zeros: β > 0. */
const usable = (loss: Loss, V: Mat): boolean => betaOf(loss) > 0 || V.data.every((x) => x > 0);

describe('reference: libfmp-compatible MU (Euclidean, libfmp order)', () => {
  it.each(loadFixtures().map((f) => [f.name, f] as const))('reproduces %s to 1e-9', (_name, f) => {
    const { V, W0, H0 } = fromFixture(f);
    const r = fit(V, W0, H0, { maxIter: f.input.maxIter, tol: f.input.thresh, normalize: f.input.norm ? 'max' : 'none' });
    const e = f.expected;
    expect(r.iterations).toBe(e.iterations);
    expect(closeTo(r.W.data, e.W.data), `W ${relativeError(r.W.data, e.W.data)}`).toBe(true);
    expect(closeTo(r.H.data, e.H.data), `H ${relativeError(r.H.data, e.H.data)}`).toBe(true);
    expect(closeTo(r.hChange, e.hError), 'hChange').toBe(true);
    expect(closeTo(r.wChange, e.wError), 'wChange').toBe(true);
    expect(closeTo([spectralNorm(sub(V, mul(r.W, r.H)))], [e.VApproxErr]), 'VApproxErr').toBe(true);
    expect(r.stopReason).toBe(
      r.iterations < f.input.maxIter || (r.hChange.at(-1)! < f.input.thresh && r.wChange.at(-1)! < f.input.thresh) ? 'tol' : 'maxIter',
    );
  });
});

/**
 * Runs `iterations` iterations as separate half-steps (H, then W) and returns the largest increase of the objective
 * over any half-step, relative to the initial objective.
 */
function worstIncrease(V: Mat, W0: Mat, H0: Mat, o: UpdateOptions & { solver?: 'mu' | 'hals' }, iterations: number): number {
  const W = copy(W0);
  const H = copy(H0);
  const t = transposed(V, o.mask);
  const step = o.solver === 'hals' ? halsIteration : muIteration;
  const initial = objective(V, W, H, o);
  let previous = initial;
  let worst = -Infinity;
  for (let i = 0; i < iterations; i++) {
    for (const half of [{ updateW: false }, { updateH: false }]) {
      if ((half.updateW === false && o.updateH === false) || (half.updateH === false && o.updateW === false)) continue;
      step(V, W, H, { ...o, ...half }, t);
      const value = objective(V, W, H, o);
      expect(Number.isFinite(value)).toBe(true);
      worst = Math.max(worst, (value - previous) / initial);
      previous = value;
    }
  }
  return worst;
}

const MONOTONE_TOLERANCE = 1e-12;

describe('reference: monotone objective', () => {
  const problems: [string, { V: Mat; W0: Mat; H0: Mat }, number][] = [
    ['random 20×30 r3', randomProblem(20, 30, 3, 11), 60],
    ['random 25×12 r4', randomProblem(25, 12, 4, 21), 60],
    ...['fmp-toy-5x8-r2', 'zero-row-col-12x16-r3', 'scaled-large-values-15x20-r3', 'overcomplete-4x6-r5'].map(
      (name) => [name, fromFixture(loadFixture(name)), 60] as [string, { V: Mat; W0: Mat; H0: Mat }, number],
    ),
    ['spectrogram-129x80-r4', fromFixture(loadFixture('spectrogram-129x80-r4')), 15],
  ];

  describe.each(problems)('%s', (_name, { V, W0, H0 }, iterations) => {
    it.each(ALL_LOSSES.map((l) => [String(l), l] as const))('MU, loss %s', (_l, loss) => {
      if (!usable(loss, V)) return;
      expect(worstIncrease(V, W0, H0, { loss }, iterations)).toBeLessThanOrEqual(MONOTONE_TOLERANCE);
    });

    it('HALS', () => {
      expect(worstIncrease(V, W0, H0, { solver: 'hals' }, iterations)).toBeLessThanOrEqual(MONOTONE_TOLERANCE);
    });

    it('MU with a mask (Euclidean, KL)', () => {
      const mask = mat(
        V.rows,
        V.cols,
        randomMatrix(V.rows, V.cols, 5).data.map((x) => (x < 0.3 ? 0 : x < 0.5 ? 0.5 : 1)),
      );
      for (const loss of ['euclidean', 'kl'] as const) {
        expect(worstIncrease(V, W0, H0, { loss, mask }, iterations)).toBeLessThanOrEqual(MONOTONE_TOLERANCE);
      }
    });
  });

  /**
   * Regularized updates are exact MM steps (so monotone) for every β with L1, L2 or both (β < 2 with L2: the root
   * of the penalised step's equation, KL's in closed form), and HALS with both.
   */
  const regularized: [string, UpdateOptions & { solver?: 'mu' | 'hals' }][] = [
    ['euclidean l1+l2', { loss: 'euclidean', l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['kl l1', { loss: 'kl', l1W: 0.1, l1H: 0.2 }],
    ['kl l1+l2', { loss: 'kl', l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['is l1', { loss: 'is', l1W: 0.1, l1H: 0.2 }],
    ['is l1+l2', { loss: 'is', l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['β=0.5 l1', { loss: 0.5, l1W: 0.1, l1H: 0.2 }],
    ['β=0.5 l1+l2', { loss: 0.5, l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['β=1.5 l1', { loss: 1.5, l1W: 0.1, l1H: 0.2 }],
    ['β=1.5 l1+l2', { loss: 1.5, l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['β=-0.5 l2', { loss: -0.5, l2W: 0.3, l2H: 0.05 }],
    ['β=3 l1+l2', { loss: 3, l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
    ['hals l1+l2', { solver: 'hals', l1W: 0.1, l2W: 0.3, l1H: 0.2, l2H: 0.05 }],
  ];
  const harsh = fromFixture(loadFixture('scaled-large-values-15x20-r3'));
  const random = randomProblem(20, 30, 3, 31);

  it.each(regularized)('%s (random and badly scaled initial factors)', (_name, o) => {
    for (const { V, W0, H0 } of [random, harsh]) {
      if (!usable(o.loss ?? 'euclidean', V)) continue;
      // Penalties of the size of the data: scale them by mean(V) so that they matter on both problems.
      let mean = 0;
      for (const x of V.data) mean += x / V.data.length;
      const scaled = { ...o };
      for (const key of ['l1W', 'l2W', 'l1H', 'l2H'] as const) if (scaled[key] !== undefined) scaled[key] = scaled[key]! * mean;
      expect(worstIncrease(V, W0, H0, scaled, 40)).toBeLessThanOrEqual(MONOTONE_TOLERANCE);
    }
  });
});

describe('reference: structure of the updates', () => {
  const { V, W0, H0 } = randomProblem(15, 20, 4, 41);

  it('zeros of W0 and H0 stay zero under MU, for every loss, with and without penalties', () => {
    const W = copy(W0);
    const H = copy(H0);
    for (const k of [0, 5, 17, 33, 59]) W.data[k] = 0;
    for (let j = 0; j < 20; j += 3) H.data[2 * 20 + j] = 0; // every third entry of row 2
    H.data[0] = 0;
    for (const loss of ALL_LOSSES) {
      for (const pen of [{}, { l1W: 0.01, l2W: 0.02, l1H: 0.03, l2H: 0.04 }]) {
        const r = fit(V, W, H, { loss, ...pen, maxIter: 25, stop: 'none' });
        W.data.forEach((x, k) => {
          if (x === 0) expect(r.W.data[k]).toBe(0);
          else expect(r.W.data[k]).toBeGreaterThan(0);
        });
        H.data.forEach((x, k) => {
          if (x === 0) expect(r.H.data[k]).toBe(0);
        });
      }
    }
  });

  it('masked entries do not influence the fit (bit for bit), Euclidean and KL', () => {
    const maskData = randomMatrix(15, 20, 42).data.map((x) => (x < 0.25 ? 0 : 1));
    const mask = mat(15, 20, maskData);
    const V2 = copy(V);
    maskData.forEach((m, k) => {
      if (m === 0) V2.data[k] = 1000 * (k % 7); // anything finite, zeros included
    });
    for (const loss of ['euclidean', 'kl'] as const) {
      const a = fit(V, W0, H0, { loss, mask, maxIter: 30, stop: 'none' });
      const b = fit(V2, W0, H0, { loss, mask, maxIter: 30, stop: 'none' });
      expect(sameBits(a.W, b.W)).toBe(true);
      expect(sameBits(a.H, b.H)).toBe(true);
      expect(a.objective).toBe(b.objective);
    }
  });

  it('a mask of ones is the unmasked fit (to rounding); a 0/1 mask weights the objective', () => {
    const ones = mat(15, 20, new Float64Array(300).fill(1));
    for (const loss of ['euclidean', 'kl'] as const) {
      const a = fit(V, W0, H0, { loss, maxIter: 20, stop: 'none' });
      const b = fit(V, W0, H0, { loss, mask: ones, maxIter: 20, stop: 'none' });
      expect(relativeError(b.W.data, a.W.data)).toBeLessThan(1e-12);
      expect(relativeError(b.H.data, a.H.data)).toBeLessThan(1e-12);
    }
    const half = mat(
      15,
      20,
      new Float64Array(300).map((_, k) => (k % 2 === 0 ? 1 : 0)),
    );
    const full = objective(V, W0, H0, { loss: 'kl' });
    const masked = objective(V, W0, H0, { loss: 'kl', mask: half });
    expect(masked).toBeGreaterThan(0);
    expect(masked).toBeLessThan(full);
  });

  it('a mask imputes missing entries of a low-rank matrix', () => {
    const truth = mul(mat(20, 2, randomMatrix(20, 2, 51).data), mat(2, 25, randomMatrix(2, 25, 52).data));
    const maskData = randomMatrix(20, 25, 53).data.map((x) => (x < 0.2 ? 0 : 1));
    const observed = copy(truth);
    maskData.forEach((m, k) => {
      if (m === 0) observed.data[k] = 0;
    });
    const r = fit(observed, mat(20, 2, randomMatrix(20, 2, 54).data), mat(2, 25, randomMatrix(2, 25, 55).data), {
      loss: 'kl',
      mask: mat(20, 25, maskData),
      maxIter: 400,
      stop: 'none',
    });
    const approx = mul(r.W, r.H);
    let err = 0;
    let norm = 0;
    maskData.forEach((m, k) => {
      if (m === 0) {
        err += (approx.data[k]! - truth.data[k]!) ** 2;
        norm += truth.data[k]! ** 2;
      }
    });
    expect(Math.sqrt(err / norm)).toBeLessThan(0.02);
  });

  it.each(['mu', 'hals'] as const)('%s: updateW false leaves W bit-identical, updateH false leaves H', (solver) => {
    const losses: Loss[] = solver === 'hals' ? ['euclidean'] : ALL_LOSSES;
    for (const loss of losses) {
      const a = fit(V, W0, H0, { solver, loss, updateW: false, maxIter: 15, stop: 'none', normalize: 'l2' });
      expect(sameBits(a.W, W0)).toBe(true);
      expect(sameBits(a.H, H0)).toBe(false);
      expect(a.wChange.every((x) => x === 0)).toBe(true);
      const b = fit(V, W0, H0, { solver, loss, updateH: false, maxIter: 15, stop: 'none', normalize: 'max' });
      expect(sameBits(b.H, H0)).toBe(true);
      expect(sameBits(b.W, W0)).toBe(false);
    }
  });

  it.each(['mu', 'hals'] as const)('%s: fixedColumnsW keeps those templates bit-identical while the others learn', (solver) => {
    const fixed = [1, 3];
    const r = fit(V, W0, H0, { solver, fixedColumnsW: fixed, maxIter: 15, stop: 'none', normalize: 'l1' });
    for (let i = 0; i < 15; i++) {
      for (let c = 0; c < 4; c++) {
        const k = i * 4 + c;
        if (fixed.includes(c)) expect(Object.is(r.W.data[k], W0.data[k])).toBe(true);
        else expect(r.W.data[k]).not.toBe(W0.data[k]);
      }
    }
  });

  it('β = 2, 1, 0 are the same updates as euclidean, kl, is (bit for bit)', () => {
    for (const [a, b] of [
      [2, 'euclidean'],
      [1, 'kl'],
      [0, 'is'],
    ] as const) {
      const x = fit(V, W0, H0, { loss: a, maxIter: 10, stop: 'none' });
      const y = fit(V, W0, H0, { loss: b, maxIter: 10, stop: 'none' });
      expect(sameBits(x.W, y.W) && sameBits(x.H, y.H)).toBe(true);
    }
  });

  it('the β-divergence is continuous in β at 0, 1 and 2, and γ(β) is Févotte & Idier’s', () => {
    for (const [beta, named] of [
      [0, 'is'],
      [1, 'kl'],
      [2, 'euclidean'],
    ] as const) {
      const exact = objective(V, W0, H0, { loss: named });
      for (const d of [-1e-6, 1e-6]) {
        expect(Math.abs(objective(V, W0, H0, { loss: beta + d }) / exact - 1)).toBeLessThan(1e-4);
      }
    }
    expect([-1, 0, 0.5, 1, 1.5, 2, 3, 4].map(mmExponent)).toEqual([1 / 3, 1 / 2, 1 / 1.5, 1, 1, 1, 1 / 2, 1 / 3]);
  });

  it('the cheap Euclidean objective (products at hand) equals the explicit one', () => {
    const r = fit(V, W0, H0, { maxIter: 30, stop: 'none' });
    let normV2 = 0;
    for (const x of V.data) normV2 += x * x;
    const WtW = mulTN(r.W, r.W);
    const HHt = mulNT(r.H, r.H);
    const exact = objective(V, r.W, r.H);
    expect(Math.abs(euclideanFromProducts(normV2, mulNT(V, r.H), r.W, WtW, HHt) / exact - 1)).toBeLessThan(1e-12);
    expect(Math.abs(euclideanFromProducts(normV2, mulTN(r.W, V), r.H, WtW, HHt) / exact - 1)).toBeLessThan(1e-12);
  });
});

describe('reference: stop rules, history, normalisation', () => {
  const { V, W0, H0 } = randomProblem(12, 18, 3, 61);

  it('records the objective at 0, every errorEvery iterations and after the last one', () => {
    const r = fit(V, W0, H0, { loss: 'kl', maxIter: 25, stop: 'none' });
    expect(defaultErrorEvery({ loss: 'kl' })).toBe(10);
    expect(defaultErrorEvery({})).toBe(1);
    expect(defaultErrorEvery({ mask: mat(1, 1, [1]) })).toBe(10);
    expect(r.history.map((h) => h.iteration)).toEqual([0, 10, 20, 25]);
    const e = fit(V, W0, H0, { maxIter: 4, stop: 'none' });
    expect(e.history.map((h) => h.iteration)).toEqual([0, 1, 2, 3, 4]);
    expect(e.stopReason).toBe('maxIter');
  });

  it("'objective' stops at the first checkpoint whose relative decrease is below tol", () => {
    const tol = 1e-4;
    const r = fit(V, W0, H0, { loss: 'kl', stop: 'objective', tol, errorEvery: 5, maxIter: 5000 });
    expect(r.stopReason).toBe('tol');
    expect(r.iterations % 5).toBe(0);
    const h = r.history.map((x) => x.value);
    const decrease = (k: number): number => (h[k - 1]! - h[k]!) / h[k - 1]!;
    expect(decrease(h.length - 1)).toBeLessThan(tol);
    for (let k = 1; k < h.length - 1; k++) expect(decrease(k)).toBeGreaterThanOrEqual(tol);
    // 'none' ignores tol entirely.
    expect(fit(V, W0, H0, { stop: 'none', tol: 1e9, maxIter: 7 }).iterations).toBe(7);
  });

  it.each(['max', 'l1', 'l2'] as const)("normalize '%s' keeps WH and scales W's columns to norm 1", (mode) => {
    const plain = fit(V, W0, H0, { maxIter: 10, stop: 'none' });
    const normed = fit(V, W0, H0, { maxIter: 10, stop: 'none', normalize: mode });
    expect(relativeError(mul(normed.W, normed.H).data, mul(plain.W, plain.H).data)).toBeLessThan(1e-14);
    for (let r = 0; r < 3; r++) {
      const col = Array.from({ length: 12 }, (_, i) => normed.W.data[i * 3 + r]!);
      const norm = mode === 'max' ? Math.max(...col) : mode === 'l1' ? col.reduce((a, b) => a + b) : Math.hypot(...col);
      expect(norm).toBeCloseTo(1, 14);
    }
  });
});
