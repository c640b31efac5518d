/** src/normalize.ts: 'max' / 'l1' / 'l2' column normalisation, fixed components untouched; the reference agrees. */
import { describe, expect, it } from 'vitest';
import { columnNorm, normalizeFactors } from '../src/normalize.js';
import { randomMatrix, relativeError } from './helpers.js';
import { normalizeReference } from './reference/fit.js';
import { mat, mul } from './reference/linalg.js';

describe('normalizeFactors', () => {
  const K = 9;
  const N = 13;
  const R = 4;
  const W0 = randomMatrix(K, R, 1).data;
  const H0 = randomMatrix(R, N, 2).data;

  it.each(['max', 'l1', 'l2'] as const)("'%s': unit columns, W·H kept, H rows take the factor; same bits as the reference", (mode) => {
    const W = W0.slice();
    const H = H0.slice();
    const scales = normalizeFactors(W, H, K, N, R, mode);
    for (let r = 0; r < R; r++) {
      expect(columnNorm(W, K, R, r, mode)).toBeCloseTo(1, 14);
      expect(scales[r]).toBe(columnNorm(W0, K, R, r, mode));
    }
    expect(relativeError(mul(mat(K, R, W), mat(R, N, H)).data, mul(mat(K, R, W0), mat(R, N, H0)).data)).toBeLessThan(1e-15);
    const refW = mat(K, R, W0);
    const refH = mat(R, N, H0);
    normalizeReference(refW, refH, { maxIter: 0, normalize: mode });
    expect(Array.from(W)).toEqual(Array.from(refW.data));
    expect(Array.from(H)).toEqual(Array.from(refH.data));
  });

  it("'max' divides W's column by its maximum and multiplies H's row by it (the kernels' finish('max'))", () => {
    const W = W0.slice();
    const H = H0.slice();
    normalizeFactors(W, H, K, N, R, 'max');
    for (let r = 0; r < R; r++) {
      const m = columnNorm(W0, K, R, r, 'max');
      for (let i = 0; i < K; i++) expect(W[i * R + r]).toBe(W0[i * R + r]! / m);
      for (let j = 0; j < N; j++) expect(H[r * N + j]).toBe(H0[r * N + j]! * m);
    }
  });

  it("leaves 'none', zero columns, fixed columns and fixed factors alone", () => {
    const W = W0.slice();
    const H = H0.slice();
    normalizeFactors(W, H, K, N, R, 'none');
    expect(Array.from(W)).toEqual(Array.from(W0));
    for (let i = 0; i < K; i++) W[i * R + 2] = 0;
    const Hz = H.slice();
    normalizeFactors(W, Hz, K, N, R, 'l2', { fixedColumnsW: [0] });
    for (let i = 0; i < K; i++) {
      expect(W[i * R]).toBe(W0[i * R]);
      expect(W[i * R + 2]).toBe(0);
    }
    for (let j = 0; j < N; j++) {
      expect(Hz[j]).toBe(H0[j]);
      expect(Hz[2 * N + j]).toBe(H0[2 * N + j]);
    }
    for (const learned of [{ updateW: false }, { updateH: false }]) {
      const W2 = W0.slice();
      const H2 = H0.slice();
      expect(Array.from(normalizeFactors(W2, H2, K, N, R, 'l1', learned))).toEqual([1, 1, 1, 1]);
      expect(Array.from(W2)).toEqual(Array.from(W0));
      expect(Array.from(H2)).toEqual(Array.from(H0));
    }
  });
});
