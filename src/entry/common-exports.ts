/**
 * What both entries export alike: the constants, the helpers that need no backend, and the public types. Each
 * entry (src/index.ts, src/browser.ts) adds its fit functions over its own runtime and its backend's settings.
 */
export { DEFAULT_EPS, DEFAULT_MAX_ITER, DEFAULT_TOL } from '../options.js';
export { reconstruct } from '../result.js';
export { reconstructNmfd } from '../nmfd.js';
export { wienerMasks } from '../wiener.js';
export { NMFD_DEFAULT_EPS, NMFD_DEFAULT_MAX_ITER, NMFD_DEFAULT_TEMPLATE_FRAMES } from '../nmfd-options.js';
export type { EstimateRank, EstimateRankOptions, RankEstimate, RankMeasures } from '../rank.js';
export type { BatchIterationInfo, BatchOutcome, NmfBatch, NmfBatchOptions } from '../batch.js';
export type { Nmf, NmfSync } from '../nmf.js';
export type { Nmfd, NmfdSync } from '../nmfd.js';
export type { NmfdOptions, NmfdResult } from '../nmfd-types.js';
export type { NmfStream, NmfStreamOptions, NmfStreamProgress, NmfStreamSource } from '../online/stream.js';
export type { OnlineOptions } from '../online/options.js';
export type {
  EstimatorAsyncFitOptions,
  EstimatorAsyncOptions,
  EstimatorAsyncPartialFitOptions,
  EstimatorFitOptions,
  EstimatorPartialFitOptions,
  NmfEstimator,
  NmfEstimatorClass,
  NmfEstimatorOptions,
  NmfModelJson,
} from '../estimator.js';
export type {
  FactorArray,
  FactorArrayOf,
  IntegerArray,
  MatrixObject,
  MatrixRow,
  BackendName,
  IterationInfo,
  Matrix,
  MatrixData,
  CsrMatrixInput,
  MatrixInput,
  MatrixLike,
  NmfOptions,
  NmfResult,
  ReadyOptions,
  StopReason,
} from '../types.js';
