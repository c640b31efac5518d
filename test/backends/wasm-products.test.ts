/**
 * The WebAssembly backend's own matrix kernels (assembly/products.ts) and eigen-solvers (assembly/spectral.ts)
 * against plain JavaScript loops, on random shapes including 1×1, odd sizes, R = 1 and R = 70.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WasmHeap } from '../../src/backends/wasm-memory.js';
import { compileWasmModule } from '../../src/backends/wasm.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  products_mulAtB(A: number, B: number, C: number, R: number, K: number, N: number): void;
  products_mulABt(A: number, B: number, C: number, M: number, N: number, P: number): void;
  products_mulSmallInner(A: number, B: number, C: number, M: number, R: number, N: number): void;
  products_gramAtA(A: number, C: number, K: number, R: number): void;
  products_gramAAt(A: number, C: number, R: number, N: number): void;
  spectral_jacobiEigen(A: number, n: number, Z: number): number;
  spectral_tridiagonalEigen(d: number, e: number, z: number, n: number): number;
  spectral_topEigenpair(d: number, e: number, n: number, work: number, out: number): number;
  spectral_eigenvaluesAbove(d: number, e: number, n: number, x: number): number;
  spectral_largestSingularValueFromGram(G: number, n: number): number;
  spectral_residualSpectralNorm(E: number, K: number, N: number, work: number, m: number): number;
  spectral_lanczosWorkBytes(K: number, N: number, m: number): number;
  spectral_lanczosMaxSteps(K: number, N: number): number;
}

let wasm: KernelExports;
let heap: WasmHeap;

beforeAll(() => {
  const bytes = readFileSync(new URL('../../wasm/nmfkit-testing.wasm', import.meta.url));
  wasm = new WebAssembly.Instance(compileWasmModule(bytes), {}).exports as unknown as KernelExports;
  heap = new WasmHeap(wasm.memory, wasm.heapBase());
});

/** Deterministic uniform numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomArray(n: number, next: () => number, signed = false): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = signed ? next() * 2 - 1 : next();
  return a;
}

/** Copies arrays into fresh wasm blocks, runs `f` on their pointers, returns the block `out` afterwards. */
function withBlocks(inputs: Float64Array[], outLength: number, f: (ptrs: number[], out: number) => void): Float64Array {
  const ptrs = inputs.map((a) => heap.alloc(a.length * 8, 'test input'));
  const out = heap.alloc(outLength * 8, 'test output');
  inputs.forEach((a, i) => new Float64Array(wasm.memory.buffer, ptrs[i], a.length).set(a));
  // Poison the output so a kernel that skips an entry is caught.
  new Float64Array(wasm.memory.buffer, out, outLength).fill(Number.NaN);
  f(ptrs, out);
  const result = new Float64Array(wasm.memory.buffer, out, outLength).slice();
  for (const p of ptrs) heap.free(p);
  heap.free(out);
  return result;
}

function maxRelDiff(got: Float64Array, expected: Float64Array): number {
  let scale = 0;
  for (const x of expected) scale = Math.max(scale, Math.abs(x));
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i]! - expected[i]!));
  if (Number.isNaN(diff) || got.length !== expected.length) return Infinity;
  return scale === 0 ? diff : diff / scale;
}

/** C (R×N) = AᵀB with A K×R, B K×N. */
function refAtB(A: Float64Array, B: Float64Array, R: number, K: number, N: number): Float64Array {
  const C = new Float64Array(R * N);
  for (let r = 0; r < R; r++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[k * R + r]! * B[k * N + j]!;
      C[r * N + j] = s;
    }
  return C;
}

/** C (M×P) = ABᵀ with A M×N, B P×N. */
function refABt(A: Float64Array, B: Float64Array, M: number, N: number, P: number): Float64Array {
  const C = new Float64Array(M * P);
  for (let i = 0; i < M; i++)
    for (let p = 0; p < P; p++) {
      let s = 0;
      for (let j = 0; j < N; j++) s += A[i * N + j]! * B[p * N + j]!;
      C[i * P + p] = s;
    }
  return C;
}

/** C (M×N) = AB with A M×R, B R×N. */
function refAB(A: Float64Array, B: Float64Array, M: number, R: number, N: number): Float64Array {
  const C = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let r = 0; r < R; r++) s += A[i * R + r]! * B[r * N + j]!;
      C[i * N + j] = s;
    }
  return C;
}

// [K, N, R]: tiny, odd, tile remainders of every kind, R = 1, R = 70, and shapes past the cache blocks
// (TB = 128 rows, NB = 256 columns in mulAtB).
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 2, 1],
  [2, 1, 1],
  [3, 5, 1],
  [5, 3, 2],
  [4, 4, 4],
  [7, 9, 3],
  [8, 8, 5],
  [13, 17, 6],
  [6, 1, 3],
  [1, 7, 2],
  [33, 31, 7],
  [64, 65, 8],
  [129, 257, 5],
  [300, 513, 9],
  [17, 40, 70],
  [70, 70, 70],
  [131, 263, 70],
  [257, 130, 32],
  [1025, 300, 1],
  [5, 600, 11],
  [37, 2100, 3],
  [18, 4099, 2],
];

describe('wasm product kernels vs plain loops', () => {
  for (const [K, N, R] of SHAPES) {
    it(`K=${K} N=${N} R=${R}`, () => {
      const next = rng(K * 7919 + N * 31 + R);
      const V = randomArray(K * N, next);
      const W = randomArray(K * R, next);
      const H = randomArray(R * N, next);
      const S = randomArray(R * R, next, true);
      const tol = 1e-13;

      // WᵀV (R×N)
      expect(
        maxRelDiff(
          withBlocks([W, V], R * N, ([a, b], c) => wasm.products_mulAtB(a!, b!, c, R, K, N)),
          refAtB(W, V, R, K, N),
        ),
      ).toBeLessThan(tol);
      // V·Hᵀ (K×R)
      expect(
        maxRelDiff(
          withBlocks([V, H], K * R, ([a, b], c) => wasm.products_mulABt(a!, b!, c, K, N, R)),
          refABt(V, H, K, N, R),
        ),
      ).toBeLessThan(tol);
      // (R×R)·H (R×N)
      expect(
        maxRelDiff(
          withBlocks([S, H], R * N, ([a, b], c) => wasm.products_mulSmallInner(a!, b!, c, R, R, N)),
          refAB(S, H, R, R, N),
        ),
      ).toBeLessThan(tol);
      // W·(R×R) (K×R)
      expect(
        maxRelDiff(
          withBlocks([W, S], K * R, ([a, b], c) => wasm.products_mulSmallInner(a!, b!, c, K, R, R)),
          refAB(W, S, K, R, R),
        ),
      ).toBeLessThan(tol);
      // W·H (K×N)
      expect(
        maxRelDiff(
          withBlocks([W, H], K * N, ([a, b], c) => wasm.products_mulSmallInner(a!, b!, c, K, R, N)),
          refAB(W, H, K, R, N),
        ),
      ).toBeLessThan(tol);
      // WᵀW and HHᵀ (R×R), exactly symmetric
      const wtw = withBlocks([W], R * R, ([a], c) => wasm.products_gramAtA(a!, c, K, R));
      expect(maxRelDiff(wtw, refAtB(W, W, R, K, R))).toBeLessThan(tol);
      const hht = withBlocks([H], R * R, ([a], c) => wasm.products_gramAAt(a!, c, R, N));
      expect(maxRelDiff(hht, refABt(H, H, R, N, R))).toBeLessThan(tol);
      for (let r = 0; r < R; r++)
        for (let s = 0; s < R; s++) {
          expect(wtw[r * R + s]).toBe(wtw[s * R + r]);
          expect(hht[r * R + s]).toBe(hht[s * R + r]);
        }
    });
  }

  it('a remainder row gets bit for bit what a full tile gives (summation order fixed by the shape)', () => {
    const next = rng(42);
    const K = 37,
      N = 29,
      R = 6;
    const W = randomArray(K * R, next);
    const H = randomArray(R * N, next);
    const full = withBlocks([W, H], K * N, ([a, b], c) => wasm.products_mulSmallInner(a!, b!, c, K, R, N));
    for (let i = 0; i < K; i++) {
      const row = withBlocks([W.subarray(i * R, i * R + R), H], N, ([a, b], c) => wasm.products_mulSmallInner(a!, b!, c, 1, R, N));
      expect(Array.from(row)).toEqual(Array.from(full.subarray(i * N, i * N + N)));
    }
  });
});

/** Jacobi on the dense n×n matrix A: its eigenvalues (diagonal, unsorted) and eigenvectors (columns of Z). */
function jacobi(A: Float64Array, n: number): { D: Float64Array; Z: Float64Array } {
  const a = heap.alloc(n * n * 8, 'A');
  const z = heap.alloc(n * n * 8, 'Z');
  new Float64Array(wasm.memory.buffer, a, n * n).set(A);
  wasm.spectral_jacobiEigen(a, n, z);
  const D = new Float64Array(wasm.memory.buffer, a, n * n).slice();
  const Z = new Float64Array(wasm.memory.buffer, z, n * n).slice();
  heap.free(a);
  heap.free(z);
  return { D, Z };
}

/** tridiagonalEigen on diagonal d (n) and off-diagonal e (n − 1): eigenvalues, last components, iterations. */
function tridiagonal(d: Float64Array, e: Float64Array): { values: Float64Array; last: Float64Array; iterations: number } {
  const n = d.length;
  const pd = heap.alloc(n * 8, 'd');
  const pe = heap.alloc(Math.max(1, n - 1) * 8, 'e');
  const pz = heap.alloc(n * 8, 'z');
  new Float64Array(wasm.memory.buffer, pd, n).set(d);
  new Float64Array(wasm.memory.buffer, pe, n - 1).set(e);
  new Float64Array(wasm.memory.buffer, pz, n).fill(Number.NaN);
  const iterations = wasm.spectral_tridiagonalEigen(pd, pe, pz, n);
  const values = new Float64Array(wasm.memory.buffer, pd, n).slice();
  const last = new Float64Array(wasm.memory.buffer, pz, n).slice();
  heap.free(pd);
  heap.free(pe);
  heap.free(pz);
  return { values, last, iterations };
}

/** topEigenpair on (d, e): θ and |s|, or undefined where it declines (the caller would use QL). d and e unchanged. */
function topPair(d: Float64Array, e: Float64Array): { theta: number; last: number } | undefined {
  const n = d.length;
  const pd = heap.alloc(n * 8, 'd');
  const pe = heap.alloc(Math.max(1, n - 1) * 8, 'e');
  const work = heap.alloc(Math.max(1, 2 * n) * 8, 'work');
  const out = heap.alloc(16, 'out');
  new Float64Array(wasm.memory.buffer, pd, n).set(d);
  new Float64Array(wasm.memory.buffer, pe, Math.max(0, n - 1)).set(e);
  new Float64Array(wasm.memory.buffer, out, 2).fill(Number.NaN);
  const found = wasm.spectral_topEigenpair(pd, pe, n, work, out) !== 0;
  const [theta, last] = new Float64Array(wasm.memory.buffer, out, 2);
  expect(Array.from(new Float64Array(wasm.memory.buffer, pd, n))).toEqual(Array.from(d));
  expect(Array.from(new Float64Array(wasm.memory.buffer, pe, Math.max(0, n - 1)))).toEqual(Array.from(e));
  heap.free(pd);
  heap.free(pe);
  heap.free(work);
  heap.free(out);
  return found ? { theta: theta!, last: last! } : undefined;
}

/** eigenvaluesAbove on (d, e) at x. */
function countAbove(d: Float64Array, e: Float64Array, x: number): number {
  const n = d.length;
  const pd = heap.alloc(n * 8, 'd');
  const pe = heap.alloc(Math.max(1, n - 1) * 8, 'e');
  new Float64Array(wasm.memory.buffer, pd, n).set(d);
  new Float64Array(wasm.memory.buffer, pe, n - 1).set(e);
  const count = wasm.spectral_eigenvaluesAbove(pd, pe, n, x);
  heap.free(pd);
  heap.free(pe);
  return count;
}

/** The dense n×n matrix of the tridiagonal (d, e). */
function denseTridiagonal(d: Float64Array, e: Float64Array): Float64Array {
  const n = d.length;
  const T = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    T[k * n + k] = d[k]!;
    if (k + 1 < n) T[k * n + k + 1] = T[(k + 1) * n + k] = e[k]!;
  }
  return T;
}

/** Indices of `values` in increasing order of value. */
function order(values: Float64Array): number[] {
  return Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
}

describe('wasm eigen-solvers (Jacobi, tridiagonal QL) and spectral norms', () => {
  it('finds the eigenpairs of random symmetric matrices', () => {
    for (const n of [1, 2, 3, 5, 8, 17, 40]) {
      const next = rng(n);
      const A = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) A[i * n + j] = A[j * n + i] = next() * 2 - 1;
      const { D, Z } = jacobi(A, n);
      // Without Z, the same eigenvalues bit for bit.
      const a = heap.alloc(n * n * 8, 'A');
      new Float64Array(wasm.memory.buffer, a, n * n).set(A);
      wasm.spectral_jacobiEigen(a, n, 0);
      expect(Array.from(new Float64Array(wasm.memory.buffer, a, n * n))).toEqual(Array.from(D));
      heap.free(a);
      // A·z_k = λ_k·z_k and ZᵀZ = I.
      let scale = 0;
      for (const x of A) scale = Math.max(scale, Math.abs(x));
      for (let k = 0; k < n; k++) {
        const lambda = D[k * n + k]!;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let j = 0; j < n; j++) s += A[i * n + j]! * Z[j * n + k]!;
          expect(Math.abs(s - lambda * Z[i * n + k]!)).toBeLessThan(1e-13 * n * scale);
        }
        for (let l = 0; l < n; l++) {
          let s = 0;
          for (let i = 0; i < n; i++) s += Z[i * n + k]! * Z[i * n + l]!;
          expect(Math.abs(s - (k === l ? 1 : 0))).toBeLessThan(1e-13 * n);
        }
      }
    }
  });

  it('tridiagonalEigen matches Jacobi on random tridiagonals of sizes 1 to 80: eigenvalues and last components', () => {
    for (let n = 1; n <= 80; n++) {
      for (const kind of ['signed', 'lanczos-like'] as const) {
        const next = rng(1000 * n + (kind === 'signed' ? 1 : 2));
        // 'lanczos-like': positive diagonal and off-diagonal, as Lanczos on a Gram matrix produces.
        const d = randomArray(n, next, kind === 'signed');
        const e = randomArray(n - 1, next, kind === 'signed');
        if (kind === 'lanczos-like') for (let k = 0; k < n; k++) d[k] = 10 * d[k]! + 1;
        const { D, Z } = jacobi(denseTridiagonal(d, e), n);
        const jValues = Float64Array.from({ length: n }, (_, k) => D[k * n + k]!);
        const { values, last, iterations } = tridiagonal(d, e);
        let scale = 0;
        for (let k = 0; k < n; k++) scale = Math.max(scale, Math.abs(d[k]!) + Math.abs(e[k - 1] ?? 0) + Math.abs(e[k] ?? 0));
        const jOrder = order(jValues);
        const tOrder = order(values);
        let norm2 = 0;
        for (let r = 0; r < n; r++) {
          const jk = jOrder[r]!;
          const tk = tOrder[r]!;
          expect(Math.abs(values[tk]! - jValues[jk]!), `n=${n} ${kind} eigenvalue ${r}`).toBeLessThan(1e-14 * n * scale);
          // The same unit eigenvector up to sign, so the same last component up to sign (random tridiagonals
          // have well separated eigenvalues: the components agree far below this tolerance).
          expect(Math.abs(Math.abs(last[tk]!) - Math.abs(Z[(n - 1) * n + jk]!)), `n=${n} ${kind} component ${r}`).toBeLessThan(1e-10);
          norm2 += last[tk]! ** 2;
        }
        // The last row of an orthogonal matrix is a unit vector.
        expect(Math.abs(norm2 - 1)).toBeLessThan(1e-14 * n);
        expect(iterations).toBeLessThanOrEqual(3 * n);
      }
    }
  });

  it('tridiagonalEigen on known spectra: [−1 2 −1], split, diagonal, zero, Wilkinson and graded matrices', () => {
    // T = tridiag(−1, 2, −1): λ_k = 2 − 2cos(kπ/(n+1)), eigenvector entries sqrt(2/(n+1))·sin(ikπ/(n+1)), i = 1 … n.
    for (const n of [1, 2, 3, 10, 64, 200]) {
      const { values, last } = tridiagonal(new Float64Array(n).fill(2), new Float64Array(n - 1).fill(-1));
      const got = order(values);
      for (let k = 1; k <= n; k++) {
        const t = got[k - 1]!;
        expect(Math.abs(values[t]! - (2 - 2 * Math.cos((k * Math.PI) / (n + 1))))).toBeLessThan(1e-14 * n);
        const component = Math.sqrt(2 / (n + 1)) * Math.sin((n * k * Math.PI) / (n + 1));
        expect(Math.abs(Math.abs(last[t]!) - Math.abs(component))).toBeLessThan(1e-13 * n);
      }
    }
    // Diagonal (e = 0) and zero matrices: nothing to do, z = e_n.
    const diag = tridiagonal(Float64Array.from([3, -1, 7, 0]), new Float64Array(3));
    expect(Array.from(diag.values)).toEqual([3, -1, 7, 0]);
    expect(Array.from(diag.last)).toEqual([0, 0, 0, 1]);
    expect(diag.iterations).toBe(0);
    const zero = tridiagonal(new Float64Array(5), new Float64Array(4));
    expect(Array.from(zero.values)).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(zero.last)).toEqual([0, 0, 0, 0, 1]);
    // A zero in the middle of e splits T into two blocks: the eigenvectors of the top block end in 0.
    const split = tridiagonal(Float64Array.from([1, 2, 5, 6]), Float64Array.from([1, 0, 1]));
    const splitOrder = order(split.values);
    const expected = [1.5 - Math.sqrt(1.25), 1.5 + Math.sqrt(1.25), 5.5 - Math.sqrt(1.25), 5.5 + Math.sqrt(1.25)];
    splitOrder.forEach((t, r) => expect(Math.abs(split.values[t]! - expected[r]!)).toBeLessThan(1e-15 * 8));
    expect(split.last[splitOrder[0]!]).toBe(0);
    expect(split.last[splitOrder[1]!]).toBe(0);
    // Wilkinson's W21+ (d = |10 − k|, e = 1): pairs of eigenvalues agree to ~1e-14, so only the eigenvalues and
    // the unit length of the last row are checked against Jacobi.
    {
      const n = 21;
      const d = Float64Array.from({ length: n }, (_, k) => Math.abs(10 - k));
      const e = new Float64Array(n - 1).fill(1);
      const { D } = jacobi(denseTridiagonal(d, e), n);
      const jSorted = Array.from({ length: n }, (_, k) => D[k * n + k]!).sort((a, b) => a - b);
      const { values, last } = tridiagonal(d, e);
      const tSorted = Array.from(values).sort((a, b) => a - b);
      tSorted.forEach((x, r) => expect(Math.abs(x - jSorted[r]!)).toBeLessThan(1e-13));
      expect(Math.abs(last.reduce((acc, x) => acc + x * x, 0) - 1)).toBeLessThan(1e-14);
    }
    // Graded (entries from 1e-12 to 1e12) and tiny (entries ~1e-200, whose squares underflow: Jacobi, which sums
    // squares, is given the matrix scaled by 1e200): eigenvalues within ε·‖T‖ of Jacobi's.
    for (const [name, scaleOf, unscale] of [
      ['graded', (k: number) => 10 ** ((24 * k) / 29 - 12), 1],
      ['tiny', () => 1e-200, 1e200],
    ] as const) {
      const n = 30;
      const next = rng(77);
      const d = Float64Array.from({ length: n }, (_, k) => next() * scaleOf(k));
      const e = Float64Array.from({ length: n - 1 }, (_, k) => next() * scaleOf(k));
      const { D } = jacobi(
        denseTridiagonal(
          d.map((x) => x * unscale),
          e.map((x) => x * unscale),
        ),
        n,
      );
      const jSorted = Array.from({ length: n }, (_, k) => D[k * n + k]! / unscale).sort((a, b) => a - b);
      const { values, last, iterations } = tridiagonal(d, e);
      const tSorted = Array.from(values).sort((a, b) => a - b);
      const norm = Math.max(...jSorted.map(Math.abs));
      tSorted.forEach((x, r) => expect(Math.abs(x - jSorted[r]!), name).toBeLessThan(1e-14 * n * norm));
      expect(Math.abs(last.reduce((acc, x) => acc + x * x, 0) - 1), name).toBeLessThan(1e-13);
      expect(iterations, name).toBeLessThanOrEqual(3 * n);
    }
  });

  it("topEigenpair gives QL's largest eigenvalue and its last component; eigenvaluesAbove counts as QL finds", () => {
    let declined = 0;
    let cases = 0;
    for (let n = 2; n <= 90; n++) {
      for (const kind of ['signed', 'lanczos-like', 'clustered'] as const) {
        const next = rng(7000 * n + kind.length);
        const d = randomArray(n, next, kind === 'signed');
        const e = randomArray(n - 1, next, kind === 'signed');
        if (kind === 'lanczos-like') for (let k = 0; k < n; k++) d[k] = 10 * d[k]! + 1;
        // 'clustered': the spectrum of a noise-like residual's Gram, whose top eigenvalues lie within 0.3 % of
        // each other: a diagonal near 1 with small couplings.
        if (kind === 'clustered') for (let k = 0; k < n; k++) [d[k], e[k]] = [1 + 0.003 * d[k]!, 0.001 * (e[k] ?? 0)];
        const { values, last } = tridiagonal(d, e);
        const top = order(values)[n - 1]!;
        const scale = Math.max(...Array.from(values, Math.abs));
        const pair = topPair(d, e);
        cases++;
        if (pair === undefined) {
          declined++;
          continue;
        }
        expect(Math.abs(pair.theta - values[top]!), `n=${n} ${kind} θ`).toBeLessThan(1e-14 * n * scale);
        // Both |s| are accurate to about ε·‖T‖/gap (QL's and inverse iteration's bound alike).
        const sorted = Array.from(values).sort((a, b) => a - b);
        const gap = sorted[n - 1]! - sorted[n - 2]!;
        expect(Math.abs(pair.last - Math.abs(last[top]!)), `n=${n} ${kind} |s|`).toBeLessThan((1e-14 * n * scale) / gap);
        // Between consecutive eigenvalues (as QL finds them) the count is the number above.
        for (let r = 1; r < n; r += Math.max(1, n >> 3)) {
          if (sorted[r]! - sorted[r - 1]! < 1e-10 * scale) continue;
          expect(countAbove(d, e, (sorted[r]! + sorted[r - 1]!) / 2), `n=${n} ${kind} count at ${r}`).toBe(n - r);
        }
        expect(countAbove(d, e, sorted[n - 1]! + 1e-9 * scale)).toBe(0);
      }
    }
    // It declines only where its pivots cannot vouch for the result, which random matrices almost never meet.
    expect(declined).toBeLessThanOrEqual(cases / 50);
  });

  it('topEigenpair declines what it cannot vouch for; eigenvaluesAbove refuses a zero pivot', () => {
    // The zero matrix: its bound is 0, where the first pivot is zero. 1×1: Laguerre's first step lands exactly on d₀,
    // a zero pivot, which the count just above accepts.
    expect(topPair(new Float64Array(4), new Float64Array(3))).toBeUndefined();
    expect(topPair(Float64Array.from([3]), new Float64Array(0))).toEqual({ theta: 3, last: 1 });
    expect(topPair(new Float64Array(0), new Float64Array(0))).toBeUndefined();
    expect(topPair(Float64Array.from([1, Number.NaN]), Float64Array.from([0.5]))).toBeUndefined();
    // A repeated top eigenvalue (a diagonal with 2 twice): found, with its last component where QL puts it.
    const repeated = topPair(Float64Array.from([2, 1, 2]), Float64Array.from([0, 0]));
    if (repeated !== undefined) expect(repeated.theta).toBeCloseTo(2, 14);
    // [[2, 1], [1, 2]]: θ = 3, eigenvector (1, 1)/√2.
    const pair = topPair(Float64Array.from([2, 2]), Float64Array.from([1]));
    expect(pair).toBeDefined();
    expect(Math.abs(pair!.theta - 3)).toBeLessThan(4e-16 * 3);
    expect(Math.abs(pair!.last - Math.SQRT1_2)).toBeLessThan(1e-12);
    // Exactly at an eigenvalue of a leading block (d₀ = x): a zero pivot.
    expect(countAbove(Float64Array.from([1, 5]), Float64Array.from([1]), 1)).toBe(3);
    expect(countAbove(Float64Array.from([1, 5]), Float64Array.from([1]), 0)).toBe(2);
    expect(countAbove(Float64Array.from([1, 5]), Float64Array.from([1]), 6)).toBe(0);
  });

  it('largestSingularValueFromGram of a zero Gram is 0, of diag(1, 4, 9) is 3', () => {
    const g = heap.alloc(9 * 8, 'G');
    const view = () => new Float64Array(wasm.memory.buffer, g, 9);
    view().fill(0);
    expect(wasm.spectral_largestSingularValueFromGram(g, 3)).toBe(0);
    view().set([1, 0, 0, 0, 4, 0, 0, 0, 9]);
    expect(wasm.spectral_largestSingularValueFromGram(g, 3)).toBe(3);
    heap.free(g);
  });

  it('residualSpectralNorm matches the Gram route on wide, tall and rank-deficient matrices', () => {
    for (const [K, N] of [
      [1, 1],
      [1, 9],
      [9, 1],
      [12, 30],
      [30, 12],
      [40, 40],
      // E·Eᵀ by blocks of columns (more than 4 times wider than tall): one block, and two
      [3, 40],
      [2, 65600],
    ] as [number, number][]) {
      const next = rng(K * 100 + N);
      const E = randomArray(K * N, next, true);
      if (K === 40) for (let i = 0; i < K; i++) for (let j = 0; j < N; j++) E[i * N + j] = (i % 3) * ((j % 5) - 2); // rank 1
      // Reference: sqrt(λmax(E Eᵀ)) from the wasm Jacobi on an explicitly formed Gram (checked above).
      const n = Math.min(K, N);
      const gram = K <= N ? refABt(E, E, K, N, K) : refAtB(E, E, N, K, N);
      const g = heap.alloc(n * n * 8, 'G');
      new Float64Array(wasm.memory.buffer, g, n * n).set(gram);
      const expected = wasm.spectral_largestSingularValueFromGram(g, n);
      heap.free(g);
      // A Lanczos run takes at most min(K, N) + 1 steps (its Gram's null space adds one), fewer than its dimension.
      const steps = wasm.spectral_lanczosMaxSteps(K, N);
      expect(steps).toBe(Math.min(n + 1, N <= 4 * K ? N : K));
      for (const m of [steps, Math.max(1, steps >> 1)]) {
        const e = heap.alloc(K * N * 8, 'E');
        const work = heap.alloc(wasm.spectral_lanczosWorkBytes(K, N, m), 'work');
        new Float64Array(wasm.memory.buffer, e, K * N).set(E);
        const got = wasm.spectral_residualSpectralNorm(e, K, N, work, m);
        heap.free(e);
        heap.free(work);
        if (got === -1) expect(m).toBeLessThan(steps);
        // Lanczos stops once β_j·|s| ≤ 1e-11·θ, which bounds |θ − λ| by 1e-11·θ, or once its gap bound is ten
        // times tighter: σ is within 5e-12 relative.
        else expect(Math.abs(got - expected)).toBeLessThanOrEqual(5e-12 * expected);
      }
    }
  });
});

describe('WasmHeap, the JavaScript-side allocator of the wasm backend', () => {
  it('first fit with coalescing: freed blocks are reused and merged, memory grows only when nothing fits', () => {
    const memory = new WebAssembly.Memory({ initial: 0 });
    const h = new WasmHeap(memory, 1000);
    const a = h.alloc(100_000, 'a');
    const b = h.alloc(200_000, 'b');
    const c = h.alloc(300_000, 'c');
    expect(a % 64).toBe(0);
    expect(a).toBeGreaterThanOrEqual(1000);
    expect(b).toBeGreaterThanOrEqual(a + 100_000);
    expect(c).toBeGreaterThanOrEqual(b + 200_000);
    const size = memory.buffer.byteLength;
    h.free(b);
    expect(h.alloc(150_000, 'd')).toBe(b); // first fit: into b's hole
    h.free(b);
    h.free(a); // merges with b's hole
    expect(h.alloc(300_000, 'e')).toBe(a);
    h.free(a);
    h.free(c); // everything free again: one block
    for (let i = 0; i < 500; i++) h.free(h.alloc(600_000, 'same size again'));
    expect(memory.buffer.byteLength).toBe(size);
    expect(h.liveBytes).toBe(0);
    expect(() => h.free(12345)).toThrow(/unknown block/);
  });

  it('refuses sizes beyond 4 GiB and refused growth with a RangeError naming the sizes, memory untouched', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
    const h = new WasmHeap(memory, 0);
    expect(() => h.alloc(2 ** 32, 'a 4 GiB block')).toThrow(/a 4 GiB block needs 4294967296 bytes/);
    expect(() => h.alloc(1 << 20, 'a 1 MiB block')).toThrow(RangeError);
    expect(() => h.alloc(1 << 20, 'a 1 MiB block')).toThrow(/refused to grow/);
    expect(() => h.alloc(Number.NaN, 'NaN')).toThrow(RangeError);
    expect(memory.buffer.byteLength).toBe(65536);
    expect(h.alloc(60_000, 'fits')).toBe(0);
  });
});
