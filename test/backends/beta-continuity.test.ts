/**
 * MU β with an L2 penalty is continuous in β (docs/algorithms.md §2, "L2 for β < 2"): fits from the same W0/H0 at
 * β = 0, 1 and 2 and at β ± 1e-5 end close to each other, in the reference implementation and on both backends; the
 * backends' Newton step for β < 2 other than 1 is the reference's root of the same equation, at one and two threads.
 */
import { describe, expect, it } from 'vitest';
import { nmfSync, type NmfOptions } from '../../src/index.js';
import { BACKENDS, backendAvailable, randomMatrix, relativeError } from '../support/helpers.js';
import { fit } from '../reference/fit.js';
import { mat, mul } from '../reference/linalg.js';

const K = 20;
const N = 30;
const R = 3;
const V = randomMatrix(K, N, 71);
// Strictly positive for β ≤ 0 (IS), where zeros of V are refused.
V.data.forEach((x, k) => (V.data[k] = x + 0.05));
const W0 = randomMatrix(K, R, 72);
const H0 = randomMatrix(R, N, 73);
const penalties = { l1W: 0.01, l2W: 0.5, l1H: 0.02, l2H: 0.3 };
const ITERATIONS = 200;
/** A change of β by 1e-5 moves the result by about that much (scikit-learn's own step: 9.3e-6 at β = 1). */
const CONTINUITY = 1e-4;
const ones = { rows: K, cols: N, data: new Float64Array(K * N).fill(1) };

const product = (W: { rows: number; cols: number; data: ArrayLike<number> }, H: typeof W): Float64Array =>
  mul(mat(W.rows, W.cols, Float64Array.from(W.data)), mat(H.rows, H.cols, Float64Array.from(H.data))).data;

function referenceWH(beta: number, mask = false): Float64Array {
  const r = fit(mat(K, N, V.data), mat(K, R, W0.data), mat(R, N, H0.data), {
    loss: beta,
    ...penalties,
    mask: mask ? mat(K, N, ones.data) : undefined,
    maxIter: ITERATIONS,
    stop: 'none',
  });
  return product(r.W, r.H);
}

describe('reference: MU β with L2 is continuous in β', () => {
  it.each([0, 1])('at β = %s', (beta) => {
    const at = referenceWH(beta);
    for (const d of [-1e-5, 1e-5]) expect(relativeError(referenceWH(beta + d), at), `β ${beta + d}`).toBeLessThan(CONTINUITY);
  });

  it('at β = 2 (masked, so that both sides are MU β)', () => {
    expect(relativeError(referenceWH(2 - 1e-5, true), referenceWH(2, true))).toBeLessThan(CONTINUITY);
    expect(relativeError(referenceWH(2 + 1e-5, true), referenceWH(2, true))).toBeLessThan(CONTINUITY);
  });
});

describe.each(BACKENDS)('%s backend', (backend) => {
  const run = (beta: number, more: Partial<NmfOptions> = {}): Float64Array => {
    const r = nmfSync(V, { rank: R, W: W0, H: H0, loss: beta, ...penalties, maxIter: ITERATIONS, stop: 'none', backend, ...more });
    return product(r.W, r.H);
  };

  it.skipIf(!backendAvailable(backend))('MU β with L2 is continuous in β at 0, 1 and 2', () => {
    for (const beta of [0, 1]) {
      const at = run(beta);
      for (const d of [-1e-5, 1e-5]) expect(relativeError(run(beta + d), at), `β ${beta + d}`).toBeLessThan(CONTINUITY);
    }
    // β = 2 itself is the Euclidean MU from Grams (a mask is for the Euclidean loss and KL only): the same step.
    const two = run(2);
    for (const d of [-1e-5, 1e-5]) expect(relativeError(run(2 + d), two), `β ${2 + d}`).toBeLessThan(CONTINUITY);
  });

  it.skipIf(!backendAvailable(backend))('the penalised step for β < 2 is the reference’s, at one and two threads', () => {
    for (const beta of [-0.5, 0, 0.5, 1 - 1e-5, 1.5]) {
      const expected = referenceWH(beta);
      for (const threads of [1, 2]) {
        const got = run(beta, { threads });
        expect(relativeError(got, expected), `β ${beta}, ${threads} thread(s)`).toBeLessThan(1e-9);
      }
    }
  });
});
