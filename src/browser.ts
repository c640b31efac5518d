/**
 * nmfkit — nonnegative matrix factorization: the WebAssembly-only entry, for browsers, Web Workers, Cloudflare
 * workerd, Vercel Edge, Deno and Node without addons (export conditions `browser`, `worker`, `workerd`,
 * `edge-light`, `deno`, `default`). The same fit functions and results as the Node entry, on the wasm backend
 * only; it imports no Node built-ins. The backend loads lazily: `await ready()` (implicit in `nmf()` and
 * `nmfBatch()`) before `nmfSync()`.
 */
import { batchFunction, type NmfBatch } from './batch.js';
import { estimatorClass, type NmfEstimator, type NmfEstimatorClass } from './estimator.js';
import { streamFunction, type NmfStream } from './online/stream.js';
import { fitFunctions, type Nmf, type NmfSync } from './nmf.js';
import { rankEstimator, type EstimateRank } from './rank.js';
import type { FactorArray } from './types.js';
import { nmfdFunctions, type Nmfd, type NmfdSync } from './nmfd.js';
import { wasmOnlyRuntime } from './entry/wasm-only.js';

const fits = fitFunctions(wasmOnlyRuntime);
const convolutive = nmfdFunctions(wasmOnlyRuntime);

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
 * Blocks the calling thread until the fit is done; prefer {@link nmf} on a page's main thread. Needs the
 * WebAssembly backend loaded: `await ready()` once first.
 * @throws TypeError or RangeError naming the argument, index and value, for any invalid input; an Error when
 * `ready()` has not resolved yet.
 */
export const nmfSync: NmfSync = fits.nmfSync;

/**
 * Like {@link nmfSync}, but the iterations run off the calling thread — in a module Web Worker, or where there is
 * no `Worker` (workerd, Node without addons) on the calling thread in short slices with yields between them — so
 * the page or event loop stays responsive. Loads the backend first if needed (`ready()`). `options.signal`
 * cancels it (rejecting with an AbortError); invalid input rejects the promise (nothing is thrown synchronously).
 */
export const nmf: Nmf = fits.nmf;

/**
 * Factorizes every matrix of `matrices` with the same options. Every matrix is validated before any fit starts.
 * Fits run concurrently as the thread setting allows (`setThreads`; one at a time inline); each gets the same
 * options, so with a `seed` each matrix's fit equals `nmf(matrices[i], options)`. The first failure rejects with
 * an error naming the matrix's index (or, with `settle: true`, every matrix gets its own outcome).
 */
export const nmfBatch: NmfBatch = batchFunction(fits, wasmOnlyRuntime.concurrency);

/** scikit-learn's `NMF` estimator (samples are V's columns: X = Vᵀ), over this entry's fits: docs/api.md#the-nmf-estimator. */
export const NMF: NmfEstimatorClass = estimatorClass(fits);
export type NMF<D extends FactorArray = FactorArray> = NmfEstimator<D>;

/**
 * The online solver over a stream of chunks (K×b each, dense or CSR): an async generator yielding after each chunk
 * its index, the samples seen, its cost and the model (docs/api.md#nmfstream).
 */
export const nmfStream: NmfStream = streamFunction(NMF);

/** Rank selection by the consensus of restarts (cophenetic correlation, dispersion, RSS, …): docs/rank.md. */
export const estimateRank: EstimateRank = rankEstimator(fits, wasmOnlyRuntime.concurrency);

export { backendInfo, DEFAULT_MAX_MEMORY_BYTES, ready, setThreads } from './entry/wasm-only.js';
export * from './entry/common-exports.js';
export type {
  WasmOnlyBackendInfo,
  WasmOnlyBackendInfo as BackendInfo,
  WasmThreadSettings,
  WasmThreadSettings as ThreadSettings,
} from './types.js';
