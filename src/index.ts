/**
 * nmfkit — nonnegative matrix factorization for Node.js: a C++/OpenBLAS backend and a WebAssembly SIMD backend
 * behind one API.
 */
export { nmf, nmfSync } from './nmf.js';
export { nmfBatch, type BatchIterationInfo, type BatchOutcome, type NmfBatchOptions } from './batch.js';
export { setThreads, type ThreadSettings } from './threads.js';
export { backendInfo } from './backends/select.js';
export { DEFAULT_EPS, DEFAULT_MAX_ITER, DEFAULT_TOL } from './options.js';
export type {
  BackendInfo,
  BackendName,
  IterationInfo,
  Matrix,
  MatrixData,
  MatrixInput,
  MatrixLike,
  NmfOptions,
  NmfResult,
  StopReason,
} from './types.js';
