// The raw kernels, exported for the kernel tests (test/backends/wasm-products.test.ts, test/core/float32.test.ts)
// in a module of their own (wasm/nmfkit-testing.wasm), so that the shipped module exports only the fit.

import { polyExp, polyLog, polyPow, vpolyExp, vpolyLog, vpolyPow } from './exp-log';
import { gramAAt, gramAtA, mulABt, mulAtB, mulSmallInner } from './products';
import {
  eigenvaluesAbove, jacobiEigen, lanczosMaxSteps, lanczosWorkBytes, largestSingularValueFromGram, residualSpectralNorm,
  topEigenpair, tridiagonalEigen,
} from './spectral';

export function heapBase(): usize {
  return __heap_base;
}

export function products_mulAtB(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void { mulAtB<f64>(A, B, C, R, K, N); }
export function products_mulABt(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void { mulABt<f64>(A, B, C, M, N, P); }
export function products_mulSmallInner(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void { mulSmallInner<f64>(A, B, C, M, R, N); }
export function products_gramAtA(A: usize, C: usize, K: i32, R: i32): void { gramAtA<f64>(A, C, K, R); }
export function products_gramAAt(A: usize, C: usize, R: i32, N: i32): void { gramAAt<f64>(A, C, R, N); }
export function products32_mulAtB(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void { mulAtB<f32>(A, B, C, R, K, N); }
export function products32_mulABt(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void { mulABt<f32>(A, B, C, M, N, P); }
export function products32_mulSmallInner(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void { mulSmallInner<f32>(A, B, C, M, R, N); }
/** residualSpectralNorm of a float64 E, with max |E| (which finish has at hand) taken here. */
export function spectral_residualSpectralNorm(E: usize, K: i32, N: i32, work: usize, m: i32): f64 {
  let maxAbs: f64 = 0;
  for (let i: usize = 0; i < <usize>K * <usize>N; i++) maxAbs = max(maxAbs, Math.abs(load<f64>(E + (i << 3))));
  return residualSpectralNorm<f64>(E, K, N, maxAbs, work, m);
}
export {
  jacobiEigen as spectral_jacobiEigen,
  tridiagonalEigen as spectral_tridiagonalEigen,
  topEigenpair as spectral_topEigenpair,
  eigenvaluesAbove as spectral_eigenvaluesAbove,
  largestSingularValueFromGram as spectral_largestSingularValueFromGram,
  lanczosWorkBytes as spectral_lanczosWorkBytes,
  lanczosMaxSteps as spectral_lanczosMaxSteps,
};

/** op 0: e^x, 1: log x, 2: x^y of one element of T, scalar or on the SIMD lanes (the same bits either way). */
// @ts-ignore: decorator
@inline
function expLogOf<T>(op: i32, x: T, y: T): T {
  if (op == 0) return polyExp<T>(x);
  if (op == 1) return polyLog<T>(x);
  return polyPow<T>(x, y);
}

// @ts-ignore: decorator
@inline
function vexpLogOf<T>(op: i32, x: v128, y: T): v128 {
  if (op == 0) return vpolyExp<T>(x);
  if (op == 1) return vpolyLog<T>(x);
  return vpolyPow<T>(x, sizeof<T>() == 8 ? f64x2.splat(<f64>y) : f32x4.splat(<f32>y));
}

/**
 * exp-log.ts on n float64 entries at x, results into out (op 0: polyExp, 1: polyLog, 2: polyPow with exponent y).
 * float32 ≠ 0: in float32 (entries rounded to float32, results widened). simd ≠ 0: whole vectors on the f64x2 /
 * f32x4 path, the rest scalar; else all scalar.
 */
export function expLog_apply(op: i32, float32: i32, simd: i32, x: usize, out: usize, n: i32, y: f64): void {
  let i = 0;
  if (float32 == 0) {
    if (simd != 0) {
      for (; i + 2 <= n; i += 2) v128.store(out + (<usize>i << 3), vexpLogOf<f64>(op, v128.load(x + (<usize>i << 3)), y));
    }
    for (; i < n; i++) store<f64>(out + (<usize>i << 3), expLogOf<f64>(op, load<f64>(x + (<usize>i << 3)), y));
    return;
  }
  // float32: the entries go to the first half of out, are computed there, then widened from the last one down.
  for (let j = 0; j < n; j++) store<f32>(out + (<usize>j << 2), <f32>load<f64>(x + (<usize>j << 3)));
  if (simd != 0) {
    for (; i + 4 <= n; i += 4) v128.store(out + (<usize>i << 2), vexpLogOf<f32>(op, v128.load(out + (<usize>i << 2)), <f32>y));
  }
  for (; i < n; i++) store<f32>(out + (<usize>i << 2), expLogOf<f32>(op, load<f32>(out + (<usize>i << 2)), <f32>y));
  for (let j = n - 1; j >= 0; j--) store<f64>(out + (<usize>j << 3), <f64>load<f32>(out + (<usize>j << 2)));
}
