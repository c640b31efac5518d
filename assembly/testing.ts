// The raw kernels, exported for the kernel tests (test/backends/wasm-products.test.ts, test/core/float32.test.ts)
// in a module of their own (wasm/nmfkit-testing.wasm), so that the shipped module exports only the fit.

import { gramAAt, gramAtA, mulABt, mulAtB, mulSmallInner } from './products';
import {
  jacobiEigen, lanczosMaxSteps, lanczosWorkBytes, largestSingularValueFromGram, residualSpectralNorm, tridiagonalEigen,
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
  largestSingularValueFromGram as spectral_largestSingularValueFromGram,
  lanczosWorkBytes as spectral_lanczosWorkBytes,
  lanczosMaxSteps as spectral_lanczosMaxSteps,
};
