/**
 * The initialisations of src/init: shapes, nonnegativity, determinism per seed, the truncated SVD against an exact
 * one, NNDSVD against an independent transcription of scikit-learn's formula (on the exact SVD) and against
 * scikit-learn's own output, and that NNDSVD starts close to a low-rank nonnegative V.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  bestRun,
  initialize,
  initUsesSeed,
  columnSumsMean,
  meanOf,
  nndsvd,
  randomFactors,
  restartSeeds,
  standardNormal,
  truncatedSvd,
  type InitMethod,
  type TruncatedSvd,
} from '../../src/init/index.js';
import { Random } from '../../src/random.js';
import { randomMatrix, relativeError } from '../support/helpers.js';
import { mat, mul, mulNT, mulTN, sub, symmetricEigen, frobeniusNorm, type Mat } from '../reference/linalg.js';

const METHODS: InitMethod[] = ['random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'];

/** A nonnegative matrix of exact rank r (products of U[0,1) factors). */
function lowRank(K: number, N: number, r: number, seed: number): Mat {
  return mul(mat(K, r, randomMatrix(K, r, seed).data), mat(r, N, randomMatrix(r, N, seed + 1).data));
}

/** The exact SVD from the symmetric eigen-decomposition of the Gram of the smaller side (Jacobi, test/reference). */
function exactSvd(V: Mat, r: number): TruncatedSvd {
  const K = V.rows;
  const N = V.cols;
  const U = new Float64Array(K * r);
  const S = new Float64Array(r);
  const Vt = new Float64Array(r * N);
  if (K <= N) {
    const { values, vectors } = symmetricEigen(mulNT(V, V));
    for (let k = 0; k < r; k++) {
      S[k] = Math.sqrt(Math.max(values[k]!, 0));
      const u = mat(
        K,
        1,
        Array.from({ length: K }, (_, i) => vectors.data[i * K + k]!),
      );
      const v = mulTN(V, u); // Vᵀu = σ v
      for (let i = 0; i < K; i++) U[i * r + k] = u.data[i]!;
      for (let j = 0; j < N; j++) Vt[k * N + j] = v.data[j]! / S[k]!;
    }
  } else {
    const { values, vectors } = symmetricEigen(mulTN(V, V));
    for (let k = 0; k < r; k++) {
      S[k] = Math.sqrt(Math.max(values[k]!, 0));
      const v = mat(
        N,
        1,
        Array.from({ length: N }, (_, j) => vectors.data[j * N + k]!),
      );
      const u = mul(V, v);
      for (let j = 0; j < N; j++) Vt[k * N + j] = v.data[j]!;
      for (let i = 0; i < K; i++) U[i * r + k] = u.data[i]! / S[k]!;
    }
  }
  return { rank: r, U, S, Vt };
}

/** scikit-learn's NNDSVD (sklearn/decomposition/_nmf.py, _initialize_nmf) transcribed line by line. */
function sklearnNndsvd(svd: TruncatedSvd, K: number, N: number): { W: Float64Array; H: Float64Array } {
  const R = svd.rank;
  const W = new Float64Array(K * R);
  const H = new Float64Array(R * N);
  const col = (j: number): number[] => Array.from({ length: K }, (_, i) => svd.U[i * R + j]!);
  const row = (j: number): number[] => Array.from({ length: N }, (_, c) => svd.Vt[j * N + c]!);
  const norm = (x: number[]): number => Math.sqrt(x.reduce((s, a) => s + a * a, 0));
  col(0).forEach((x, i) => (W[i * R] = Math.sqrt(svd.S[0]!) * Math.abs(x)));
  row(0).forEach((y, c) => (H[c] = Math.sqrt(svd.S[0]!) * Math.abs(y)));
  for (let j = 1; j < R; j++) {
    const x = col(j);
    const y = row(j);
    const xp = x.map((a) => Math.max(a, 0));
    const yp = y.map((a) => Math.max(a, 0));
    const xn = x.map((a) => Math.abs(Math.min(a, 0)));
    const yn = y.map((a) => Math.abs(Math.min(a, 0)));
    const mp = norm(xp) * norm(yp);
    const mn = norm(xn) * norm(yn);
    const [u, v, sigma] =
      mp > mn
        ? [xp.map((a) => a / norm(xp)), yp.map((a) => a / norm(yp)), mp]
        : [xn.map((a) => a / norm(xn)), yn.map((a) => a / norm(yn)), mn];
    const lbd = Math.sqrt(svd.S[j]! * sigma);
    u.forEach((a, i) => (W[i * R + j] = lbd * a));
    v.forEach((a, c) => (H[j * N + c] = lbd * a));
  }
  for (const X of [W, H]) {
    const max = Math.max(...X);
    for (let k = 0; k < X.length; k++) if (X[k]! < 1e-6 * max) X[k] = 0;
  }
  return { W, H };
}

describe('initialisations', () => {
  const shapes: [number, number, number][] = [
    [20, 30, 4],
    [30, 12, 3],
    [7, 7, 7],
  ];

  it.each(METHODS)('%s: shapes, nonnegativity, determinism per seed', (method) => {
    for (const [K, N, R] of shapes) {
      const V = randomMatrix(K, N, K * N).data;
      const a = initialize(method, V, K, N, R, 5);
      expect(a.W.length).toBe(K * R);
      expect(a.H.length).toBe(R * N);
      for (const x of [...a.W, ...a.H]) {
        expect(Number.isFinite(x)).toBe(true);
        expect(x).toBeGreaterThanOrEqual(0);
      }
      const again = initialize(method, V, K, N, R, 5);
      expect(Array.from(again.W)).toEqual(Array.from(a.W));
      expect(Array.from(again.H)).toEqual(Array.from(a.H));
      const other = initialize(method, V, K, N, R, 6);
      const differs = other.W.some((x, k) => x !== a.W[k]) || other.H.some((x, k) => x !== a.H[k]);
      expect(differs).toBe(initUsesSeed(method));
      if (method !== 'nndsvd') expect([...a.W, ...a.H].every((x) => x > 0)).toBe(true);
    }
  });

  it("'random' is the U[0,1) stream (W0 first, then H0); 'random-scaled' is it times √(mean(V)/R)", () => {
    const V = randomMatrix(9, 11, 3);
    const stream = new Random(77);
    const r = initialize('random', V.data, 9, 11, 2, 77);
    expect(Array.from(r.W)).toEqual(Array.from(stream.fill(new Float64Array(18))));
    expect(Array.from(r.H)).toEqual(Array.from(stream.fill(new Float64Array(22))));
    const scale = Math.sqrt(meanOf(V.data) / 2);
    const s = initialize('random-scaled', V.data, 9, 11, 2, 77);
    expect(Array.from(s.W)).toEqual(Array.from(r.W, (x) => x * scale));
    expect(Array.from(s.H)).toEqual(Array.from(r.H, (x) => x * scale));
    // A factor that is given takes no draws: H alone starts at the beginning of the stream.
    const onlyH = randomFactors(9, 11, 2, 77, 1, { W: false, H: true });
    expect(onlyH.W).toBeUndefined();
    expect(Array.from(onlyH.H!)).toEqual(Array.from(new Random(77).fill(new Float64Array(22))));
  });

  it('Box–Muller draws are standard normal', () => {
    const random = new Random(1);
    let s1 = 0;
    let s2 = 0;
    const n = 20000;
    for (let k = 0; k < n; k++) {
      const z = standardNormal(random);
      s1 += z;
      s2 += z * z;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.04);
  });
});

describe('truncated SVD', () => {
  function expectMatches(got: TruncatedSvd, want: TruncatedSvd, K: number, N: number, tol: number): void {
    const r = want.rank;
    for (let k = 0; k < r; k++) {
      expect(Math.abs(got.S[k]! - want.S[k]!) / want.S[0]!).toBeLessThan(tol);
      // Singular vectors up to a common sign.
      let du = 0;
      let dv = 0;
      for (let i = 0; i < K; i++) du += got.U[i * r + k]! * want.U[i * r + k]!;
      for (let j = 0; j < N; j++) dv += got.Vt[k * N + j]! * want.Vt[k * N + j]!;
      expect(Math.abs(Math.abs(du) - 1)).toBeLessThan(tol);
      expect(Math.abs(du - dv)).toBeLessThan(tol);
    }
  }

  it('is the exact SVD on small matrices (probe space = whole range)', () => {
    for (const [K, N, r, seed] of [
      [6, 9, 3, 1],
      [12, 5, 4, 2],
      [8, 8, 8, 3],
      [15, 20, 6, 4],
    ] as const) {
      const V = mat(K, N, randomMatrix(K, N, seed).data);
      const got = truncatedSvd(V.data, K, N, r);
      expectMatches(got, exactSvd(V, r), K, N, 1e-9);
      // Columns orthonormal, and the sign convention: the largest entry of each u_k is positive.
      for (let k = 0; k < r; k++) {
        let big = 0;
        for (let i = 0; i < K; i++) if (Math.abs(got.U[i * r + k]!) > Math.abs(big)) big = got.U[i * r + k]!;
        expect(big).toBeGreaterThan(0);
      }
    }
  });

  it('is accurate on a larger matrix with a decaying spectrum (randomized range, ℓ < min(K, N))', () => {
    const K = 70;
    const N = 60;
    const V = lowRank(K, N, 5, 8);
    for (let k = 0; k < V.data.length; k++) V.data[k] = V.data[k]! + 1e-3 * randomMatrix(K, N, 9).data[k]!;
    const got = truncatedSvd(V.data, K, N, 4);
    expectMatches(got, exactSvd(V, 4), K, N, 1e-9);
  });

  it('handles rank-deficient and zero matrices', () => {
    const V = lowRank(10, 12, 2, 12);
    const got = truncatedSvd(V.data, 10, 12, 5);
    expect(got.S[2]! / got.S[0]!).toBeLessThan(1e-12);
    for (const x of [...got.U, ...got.S, ...got.Vt]) expect(Number.isFinite(x)).toBe(true);
    const zero = truncatedSvd(new Float64Array(20), 4, 5, 2);
    expect([...zero.S]).toEqual([0, 0]);
    expect([...nndsvd(new Float64Array(20), 4, 5, 2).W].every((x) => x === 0)).toBe(true);
  });
});

describe('NNDSVD', () => {
  it.each([
    [12, 9, 3, 21],
    [9, 14, 4, 22],
    [14, 30, 4, 23],
  ] as const)('%i×%i rank %i: scikit-learn’s formula on the exact SVD (r + 10 ≥ min(K, N), so the SVD is exact)', (K, N, R, seed) => {
    const V = mat(K, N, randomMatrix(K, N, seed).data);
    const want = sklearnNndsvd(exactSvd(V, R), K, N);
    const got = nndsvd(V.data, K, N, R, 'nndsvd');
    expect(relativeError(got.W, want.W)).toBeLessThan(1e-9);
    expect(relativeError(got.H, want.H)).toBeLessThan(1e-9);
    // nndsvda fills exactly the zeros of nndsvd with mean(V), taken from V's column sums.
    const a = nndsvd(V.data, K, N, R, 'nndsvda');
    const columnSums = Array.from({ length: N }, (_, j) =>
      Array.from({ length: K }, (_, i) => V.data[i * N + j]!).reduce((x, y) => x + y, 0),
    );
    const mean = columnSumsMean(columnSums, K);
    expect(mean).toBeCloseTo(meanOf(V.data), 14);
    got.W.forEach((x, k) => expect(a.W[k]).toBe(x === 0 ? mean : x));
    got.H.forEach((x, k) => expect(a.H[k]).toBe(x === 0 ? mean : x));
    // nndsvdar fills them with small positive values |mean·z|/100.
    const ar = nndsvd(V.data, K, N, R, 'nndsvdar', 9);
    got.W.forEach((x, k) => {
      if (x === 0) expect(ar.W[k]! > 0 && ar.W[k]! < mean / 10).toBe(true);
      else expect(ar.W[k]).toBe(x);
    });
  });

  it('agrees with scikit-learn’s own NNDSVD / NNDSVDa (test/fixtures/sklearn)', () => {
    const f = JSON.parse(readFileSync(new URL('../fixtures/sklearn/gamma-30x40-r4.json', import.meta.url), 'utf8'));
    const { rows: K, cols: N, data } = f.V;
    for (const variant of ['nndsvd', 'nndsvda'] as const) {
      const got = nndsvd(Float64Array.from(data), K, N, f.rank, variant);
      expect(relativeError(got.W, f.inits[variant].W.data)).toBeLessThan(1e-6);
      expect(relativeError(got.H, f.inits[variant].H.data)).toBeLessThan(1e-6);
    }
  });

  it('is exact on a rank-1 nonnegative V and starts close to a low-rank nonnegative V', () => {
    const one = lowRank(10, 15, 1, 31);
    const r1 = nndsvd(one.data, 10, 15, 1);
    expect(relativeError(mul(mat(10, 1, r1.W), mat(1, 15, r1.H)).data, one.data)).toBeLessThan(1e-12);

    const K = 40;
    const N = 50;
    const R = 3;
    const V = lowRank(K, N, R, 32);
    const error = (method: InitMethod): number => {
      const { W, H } = initialize(method, V.data, K, N, R, 1);
      return frobeniusNorm(sub(V, mul(mat(K, R, W), mat(R, N, H)))) / frobeniusNorm(V);
    };
    const svd = error('nndsvd');
    expect(svd).toBeLessThan(0.2);
    expect(svd).toBeLessThan(error('random-scaled') / 2);
    expect(error('nndsvda')).toBeLessThan(error('random-scaled'));
  });

  it('scales with V: NNDSVD of c·V is √c·NNDSVD of V', () => {
    const V = randomMatrix(11, 13, 41).data;
    const c = 1e-6;
    const a = nndsvd(V, 11, 13, 3);
    const b = nndsvd(
      V.map((x) => x * c),
      11,
      13,
      3,
    );
    expect(
      relativeError(
        b.W,
        a.W.map((x) => x * Math.sqrt(c)),
      ),
    ).toBeLessThan(1e-10);
    expect(
      relativeError(
        b.H,
        a.H.map((x) => x * Math.sqrt(c)),
      ),
    ).toBeLessThan(1e-10);
  });
});

describe('restarts', () => {
  it('uses seeds seed, seed + 1, … and keeps the lowest objective (first of equals, never NaN)', () => {
    expect(restartSeeds(10, 3)).toEqual([10, 11, 12]);
    expect(restartSeeds(-1, 2)).toEqual([-1, 0]);
    expect(() => restartSeeds(Number.MAX_SAFE_INTEGER, 2)).toThrow(RangeError);
    expect(() => restartSeeds(0, 0)).toThrow(RangeError);
    expect(bestRun([3, 1, 2, 1])).toBe(1);
    expect(bestRun([NaN, 5, 4])).toBe(2);
    expect(bestRun([2, NaN, 1])).toBe(2);
    expect(bestRun([NaN, NaN])).toBe(0);
    expect(bestRun([7])).toBe(0);
  });
});
