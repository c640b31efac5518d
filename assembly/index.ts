// The module's exports, nothing else: plain functions on numbers and raw pointers into linear memory (the
// exported `memory`). The JavaScript side (src/backends/wasm.ts) owns all allocation.

import {
  RUN_CHUNK, arenaBytes, chooseBlockRows, configure, converged, finish, frobeniusError, init, initialObjective,
  objective, ptrFixed, ptrH, ptrHChanges, ptrMask, ptrObjectives, ptrV, ptrW, ptrWChanges, run,
} from './fit';
import { gramAAt, gramAtA, mulABt, mulAtB, mulSmallInner } from './products';
import {
  jacobiEigen, largestSingularValueFromGram, lanczosWorkBytes, residualSpectralNorm, tridiagonalEigen,
} from './spectral';

/** First byte of linear memory that belongs to the loader's allocator (nothing of ours lies at or above it). */
export function heapBase(): usize {
  return __heap_base;
}

/** Largest `steps` one fit_run call accepts (size of the arena's change and objective arrays). */
export function fit_runChunk(): i32 {
  return RUN_CHUNK;
}

export {
  chooseBlockRows as fit_chooseBlockRows,
  arenaBytes as fit_arenaBytes,
  init as fit_init,
  configure as fit_configure,
  ptrV as fit_ptrV,
  ptrW as fit_ptrW,
  ptrH as fit_ptrH,
  ptrMask as fit_ptrMask,
  ptrFixed as fit_ptrFixed,
  ptrHChanges as fit_ptrHChanges,
  ptrWChanges as fit_ptrWChanges,
  ptrObjectives as fit_ptrObjectives,
  run as fit_run,
  converged as fit_converged,
  finish as fit_finish,
  frobeniusError as fit_frobeniusError,
  objective as fit_objective,
  initialObjective as fit_initialObjective,
  lanczosWorkBytes as fit_lanczosWorkBytes,
};

// Raw kernels in float64 (products_*) and float32 (products32_*), exported for test/wasm-products.test.ts and
// benchmarks.
export function products_mulAtB(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void { mulAtB<f64>(A, B, C, R, K, N); }
export function products_mulABt(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void { mulABt<f64>(A, B, C, M, N, P); }
export function products_mulSmallInner(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void { mulSmallInner<f64>(A, B, C, M, R, N); }
export function products_gramAtA(A: usize, C: usize, K: i32, R: i32): void { gramAtA<f64>(A, C, K, R); }
export function products_gramAAt(A: usize, C: usize, R: i32, N: i32): void { gramAAt<f64>(A, C, R, N); }
export function products32_mulAtB(A: usize, B: usize, C: usize, R: i32, K: i32, N: i32): void { mulAtB<f32>(A, B, C, R, K, N); }
export function products32_mulABt(A: usize, B: usize, C: usize, M: i32, N: i32, P: i32): void { mulABt<f32>(A, B, C, M, N, P); }
export function products32_mulSmallInner(A: usize, B: usize, C: usize, M: i32, R: i32, N: i32): void { mulSmallInner<f32>(A, B, C, M, R, N); }
export function spectral_residualSpectralNorm(E: usize, K: i32, N: i32, work: usize, m: i32): f64 {
  return residualSpectralNorm<f64>(E, K, N, work, m);
}
export {
  jacobiEigen as spectral_jacobiEigen,
  tridiagonalEigen as spectral_tridiagonalEigen,
  largestSingularValueFromGram as spectral_largestSingularValueFromGram,
};
