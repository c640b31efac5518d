// The module's exports, nothing else: plain functions on numbers and raw pointers into linear memory (the
// exported `memory`). The JavaScript side (src/backends/wasm.ts) owns all allocation.

import {
  RUN_CHUNK, arenaBytes, converged, finish, frobeniusError, init, ptrH, ptrHChanges, ptrV, ptrW, ptrWChanges, run,
} from './fit';
import { gramAAt, gramAtA, mulABt, mulAtB, mulSmallInner } from './products';
import {
  jacobiEigen, largestSingularValueFromGram, lanczosWorkBytes, residualSpectralNorm, tridiagonalEigen,
} from './spectral';

/** First byte of linear memory that belongs to the loader's allocator (nothing of ours lies at or above it). */
export function heapBase(): usize {
  return __heap_base;
}

/** Largest `steps` one fit_run call accepts (size of the arena's change arrays). */
export function fit_runChunk(): i32 {
  return RUN_CHUNK;
}

export {
  arenaBytes as fit_arenaBytes,
  init as fit_init,
  ptrV as fit_ptrV,
  ptrW as fit_ptrW,
  ptrH as fit_ptrH,
  ptrHChanges as fit_ptrHChanges,
  ptrWChanges as fit_ptrWChanges,
  run as fit_run,
  converged as fit_converged,
  finish as fit_finish,
  frobeniusError as fit_frobeniusError,
  lanczosWorkBytes as fit_lanczosWorkBytes,
};

// Raw kernels, exported for test/wasm-products.test.ts and benchmarks.
export {
  mulAtB as products_mulAtB,
  mulABt as products_mulABt,
  mulSmallInner as products_mulSmallInner,
  gramAtA as products_gramAtA,
  gramAAt as products_gramAAt,
  jacobiEigen as spectral_jacobiEigen,
  tridiagonalEigen as spectral_tridiagonalEigen,
  largestSingularValueFromGram as spectral_largestSingularValueFromGram,
  residualSpectralNorm as spectral_residualSpectralNorm,
};
