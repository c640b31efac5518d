/** Many independent fits with the same options, the cores kept busy, results in input order. */
import { abortError } from './driver.js';
import { runFits } from './fit-runner.js';
import type { FitFunctions } from './nmf.js';
import type { FactorArray, IterationInfo, CsrMatrixInput, MatrixInput, NmfOptions, NmfResult } from './types.js';
import { describe, inheritsIndices, isAbortSignal, readArrayLength, readOwnProperties, readOwnProperty, readProperty } from './validate.js';
import { codeOf, plainError, sameClassError, typeError } from './errors.js';
import { EventLoopPause } from './timers.js';
import { ChunkedArray } from './chunked.js';

/** Progress of one iteration of one matrix of a batch. */
export interface BatchIterationInfo extends IterationInfo {
  /** Index of the matrix in the batch. */
  readonly index: number;
}

/** Options of {@link nmfBatch}: those of `nmf`, applied to every matrix, plus `settle`. */
export interface NmfBatchOptions extends Omit<NmfOptions, 'onIteration'> {
  /** Called after every iteration of every matrix (in order per matrix); returning false stops that matrix's fit. */
  readonly onIteration?: (info: BatchIterationInfo) => boolean | void;
  /**
   * false (default): the first failure rejects the batch with an error naming the matrix's index, and stops the
   * other fits. true: every matrix gets its own outcome, like `Promise.allSettled`.
   */
  readonly settle?: boolean;
}

export type BatchOutcome<D extends FactorArray = FactorArray> =
  { readonly status: 'fulfilled'; readonly value: NmfResult<D> } | { readonly status: 'rejected'; readonly reason: Error };

/** The error of matrix `index`, same class, message prefixed with where it happened. */
function atIndex(error: unknown, index: number): Error {
  if (error instanceof DOMException && error.name === 'AbortError') return error;
  // An error of nmfkit's keeps its code; anything else was thrown by the caller's onIteration.
  const code = codeOf(error) ?? 'NMFKIT_CALLBACK';
  if (!(error instanceof Error)) return plainError(code, `matrices[${index}]: ${String(error)}`, { cause: error });
  return sameClassError(error, code, `matrices[${index}]: ${error.message}`, { cause: error });
}

/** The signature of `nmfBatch`: results, or with `settle: true` per-matrix outcomes. */
export interface NmfBatch {
  (
    matrices: readonly (MatrixInput | CsrMatrixInput)[],
    options: NmfBatchOptions & { readonly settle?: false; readonly dtype: 'float32' },
  ): Promise<NmfResult<Float32Array>[]>;
  (
    matrices: readonly (MatrixInput | CsrMatrixInput)[],
    options: NmfBatchOptions & { readonly settle?: false; readonly dtype?: 'float64' },
  ): Promise<NmfResult<Float64Array>[]>;
  (matrices: readonly (MatrixInput | CsrMatrixInput)[], options: NmfBatchOptions & { readonly settle?: false }): Promise<NmfResult[]>;
  (
    matrices: readonly (MatrixInput | CsrMatrixInput)[],
    options: NmfBatchOptions & { readonly settle: true; readonly dtype: 'float32' },
  ): Promise<BatchOutcome<Float32Array>[]>;
  (
    matrices: readonly (MatrixInput | CsrMatrixInput)[],
    options: NmfBatchOptions & { readonly settle: true; readonly dtype?: 'float64' },
  ): Promise<BatchOutcome<Float64Array>[]>;
  (matrices: readonly (MatrixInput | CsrMatrixInput)[], options: NmfBatchOptions & { readonly settle: true }): Promise<BatchOutcome[]>;
  (matrices: readonly (MatrixInput | CsrMatrixInput)[], options: NmfBatchOptions): Promise<NmfResult[] | BatchOutcome[]>;
}

/** Most matrices one nmfBatch call takes (2^24): far above any real batch, far below what would exhaust memory. */
const MAX_BATCH = 2 ** 24;

/** Array.isArray, false instead of a throw for a revoked proxy. */
function isArrayOf(value: unknown): value is readonly unknown[] {
  try {
    return Array.isArray(value);
  } catch {
    return false;
  }
}

/** nmfBatch over the given fit functions, with `concurrency()` runners. */
export function batchFunction(fits: FitFunctions, concurrency: () => number): NmfBatch {
  return ((matrices: readonly (MatrixInput | CsrMatrixInput)[], options: NmfBatchOptions) =>
    runBatch(fits, concurrency(), matrices, options)) as NmfBatch;
}

async function runBatch(
  fits: FitFunctions,
  concurrency: number,
  matrices: readonly (MatrixInput | CsrMatrixInput)[],
  options: NmfBatchOptions,
): Promise<NmfResult[] | BatchOutcome[]> {
  if (!isArrayOf(matrices)) throw typeError('NMFKIT_INVALID_TYPE', `matrices must be an array of matrices, got ${describe(matrices)}`);
  if (options === null || typeof options !== 'object')
    throw typeError('NMFKIT_INVALID_TYPE', `options must be an object, got ${describe(options)}`);
  // Plain copies, each entry and option read once: a getter or proxy trap that throws is a TypeError naming it,
  // and a huge sparse array is refused instead of queueing billions of failures.
  const length = readArrayLength('matrices', matrices, MAX_BATCH);
  const { settle = false, onIteration, signal, ...shared } = readOwnProperties('options', options) as unknown as NmfBatchOptions;
  if (typeof settle !== 'boolean') throw typeError('NMFKIT_INVALID_TYPE', `options.settle must be a boolean, got ${describe(settle)}`);
  if (onIteration !== undefined && typeof onIteration !== 'function') {
    throw typeError('NMFKIT_INVALID_TYPE', `options.onIteration must be a function, got ${describe(onIteration)}`);
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw typeError('NMFKIT_INVALID_TYPE', `options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal?.aborted) throw abortError(signal);

  // The entries are copied in slices with pauses between: 2^24 reads at once hold the event loop for a second.
  const pause = new EventLoopPause();
  const list = new ChunkedArray<unknown>(length);
  const careful = inheritsIndices(matrices);
  for (let i = 0; i < length; i++) {
    list.set(i, careful ? readOwnProperty(`matrices[${i}]`, matrices, i) : readProperty(`matrices[${i}]`, matrices, i));
    if ((i & 0xfff) === 0xfff) await pause.now();
  }

  // Each fit is planned (validated and copied) only when a runner is about to start it: a plan holds a copy of its
  // matrix and options (~3.5 KB for a 2×2 one), so planning 2^21 matrices up front took 7 GiB and blocked the event
  // loop for 15 s. Results are the only per-matrix memory the batch keeps.
  const results = new ChunkedArray<NmfResult>(settle ? 0 : length);
  const outcomes = new ChunkedArray<BatchOutcome>(settle ? length : 0);
  await runFits(fits, {
    count: length,
    concurrency,
    input: (index) => list.get(index),
    options: (index) =>
      ({
        ...shared,
        ...(onIteration && { onIteration: (info: IterationInfo) => onIteration({ ...info, index }) }),
      }) as NmfOptions,
    // Each fit's onIteration tells its index; without one, every fit has the batch's options.
    sameOptions: onIteration === undefined,
    settle,
    settled: (index, outcome) => {
      if (!settle) results.set(index, (outcome as { value: NmfResult }).value);
      else outcomes.set(index, outcome.ok ? { status: 'fulfilled', value: outcome.value } : { status: 'rejected', reason: outcome.error });
    },
    failure: (index, error) => atIndex(error, index),
    ...(signal && { signal }),
  });
  return settle ? outcomes.toArray() : results.toArray();
}
