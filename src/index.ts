/**
 * nmfkit — nonnegative matrix factorization for Node.js: a C++/OpenBLAS backend and a WebAssembly SIMD backend
 * behind one API. This is the Node entry: native addon if it loads, else WebAssembly.
 */
import { batchFunction, type NmfBatch } from './batch.js';
import { estimatorClass, type NmfEstimator, type NmfEstimatorClass } from './estimator.js';
import { streamFunction, type NmfStream } from './online/stream.js';
import { fitFunctions, type Nmf, type NmfSync } from './nmf.js';
import { rankEstimator, type EstimateRank } from './rank.js';
import type { FactorArray } from './types.js';
import { nmfdFunctions, type Nmfd, type NmfdSync } from './nmfd.js';
import { nodeRuntime } from './entry/node.js';

const fits = fitFunctions(nodeRuntime);
const convolutive = nmfdFunctions(nodeRuntime);

/**
 * Convolutive NMF (NMFD; Smaragdis 2004) with libnmfd's `nmfd` semantics: V ≈ Λ = Σ_t W_t·shift(H, t) with R
 * templates of T frames, KL multiplicative updates, templates scaled to unit sum each iteration
 * (docs/algorithms.md §13). Blocks the calling thread; prefer {@link nmfd}.
 * @throws TypeError or RangeError naming the argument, index and value, for any invalid input.
 */
export const nmfdSync: NmfdSync = convolutive.nmfdSync;

/** Like {@link nmfdSync}, off the calling thread; `options.signal` cancels it; invalid input rejects the promise. */
export const nmfd: Nmfd = convolutive.nmfd;

/**
 * Factorizes V (K×N, entries ≥ 0) as W·H with W (K×R) and H (R×N) ≥ 0 by Lee–Seung multiplicative updates for
 * the Euclidean distance, exactly as libfmp's `nmf` (Müller, FMP Sect. 8.3.1): per iteration H is updated first,
 * then W with the new H; the fit stops after the first iteration where the spectral norms of both changes are
 * below `tol`, or after `maxIter` iterations.
 *
 * Blocks the calling thread until the fit is done; prefer {@link nmf} on a server.
 * @throws TypeError or RangeError naming the argument, index and value, for any invalid input.
 */
export const nmfSync: NmfSync = fits.nmfSync;

/**
 * Like {@link nmfSync}, but the iterations run off the main thread — on the libuv thread pool (native) or in a
 * worker thread (wasm) — so the event loop stays free. `options.signal` cancels it (rejecting with an
 * AbortError); invalid input rejects the promise (nothing is thrown synchronously).
 */
export const nmf: Nmf = fits.nmf;

/**
 * Factorizes every matrix of `matrices` with the same options. Every matrix is validated before any fit starts.
 * Fits run concurrently as the thread policy allows (`setThreads`); each gets the same options, so with a
 * `seed` each matrix's fit equals `nmf(matrices[i], options)`. The first failure rejects with an error naming
 * the matrix's index (or, with `settle: true`, every matrix gets its own outcome).
 */
export const nmfBatch: NmfBatch = batchFunction(fits, nodeRuntime.concurrency);

/** scikit-learn's `NMF` estimator (samples are V's columns: X = Vᵀ), over this entry's fits: docs/api.md#the-nmf-estimator. */
export const NMF: NmfEstimatorClass = estimatorClass(fits);
export type NMF<D extends FactorArray = FactorArray> = NmfEstimator<D>;

/**
 * The online solver over a stream of chunks (K×b each, dense or CSR): an async generator yielding after each chunk
 * its index, the samples seen, its cost and the model (docs/api.md#nmfstream).
 */
export const nmfStream: NmfStream = streamFunction(NMF);

/** Rank selection by the consensus of restarts (cophenetic correlation, dispersion, RSS, …): docs/rank.md. */
export const estimateRank: EstimateRank = rankEstimator(fits, nodeRuntime.concurrency);

export { backendInfo, DEFAULT_MAX_MEMORY_BYTES, ready, setThreads } from './entry/node.js';
export * from './entry/common-exports.js';
export type { BackendInfo, ThreadSettings } from './types.js';
