/** Many independent fits with the same options, the cores kept busy, results in input order. */
import { abortError } from './driver.js';
import type { FitFunctions } from './nmf.js';
import { planFit, type FitPlan } from './options.js';
import type { IterationInfo, MatrixInput, NmfOptions, NmfResult } from './types.js';
import { describe, isAbortSignal, readArray, readOwnProperties } from './validate.js';

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

export type BatchOutcome = { readonly status: 'fulfilled'; readonly value: NmfResult } | { readonly status: 'rejected'; readonly reason: Error };

/** The error of matrix `index`, same class, message prefixed with where it happened. */
function atIndex(error: unknown, index: number): Error {
  if (error instanceof DOMException && error.name === 'AbortError') return error;
  if (!(error instanceof Error)) return new Error(`matrices[${index}]: ${String(error)}`);
  const Kind = error instanceof RangeError ? RangeError : error instanceof TypeError ? TypeError : Error;
  return new Kind(`matrices[${index}]: ${error.message}`, { cause: error });
}

/** The signature of `nmfBatch`: results, or with `settle: true` per-matrix outcomes. */
export interface NmfBatch {
  (matrices: readonly MatrixInput[], options: NmfBatchOptions & { readonly settle?: false }): Promise<NmfResult[]>;
  (matrices: readonly MatrixInput[], options: NmfBatchOptions & { readonly settle: true }): Promise<BatchOutcome[]>;
  (matrices: readonly MatrixInput[], options: NmfBatchOptions): Promise<NmfResult[] | BatchOutcome[]>;
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
  return ((matrices, options) => runBatch(fits, concurrency(), matrices, options)) as NmfBatch;
}

async function runBatch(
  { fitPlanned }: FitFunctions,
  concurrency: number,
  matrices: readonly MatrixInput[],
  options: NmfBatchOptions,
): Promise<NmfResult[] | BatchOutcome[]> {
  if (!isArrayOf(matrices)) throw new TypeError(`matrices must be an array of matrices, got ${describe(matrices)}`);
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  // Plain copies, each entry and option read once: a getter or proxy trap that throws is a TypeError naming it,
  // and a huge sparse array is refused instead of queueing billions of failures.
  const list = readArray('matrices', matrices, MAX_BATCH);
  const { settle = false, onIteration, signal, ...shared } = readOwnProperties('options', options) as unknown as NmfBatchOptions;
  if (typeof settle !== 'boolean') throw new TypeError(`options.settle must be a boolean, got ${describe(settle)}`);
  if (onIteration !== undefined && typeof onIteration !== 'function') {
    throw new TypeError(`options.onIteration must be a function, got ${describe(onIteration)}`);
  }
  if (signal !== undefined && !isAbortSignal(signal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(signal)}`);
  }
  if (signal?.aborted) throw abortError(signal);

  // Fail-fast mode stops the remaining fits on the first failure; the caller's signal stops everything.
  const failFast = new AbortController();
  const combined = signal ? AbortSignal.any([signal, failFast.signal]) : failFast.signal;

  const plans: (FitPlan | Error)[] = list.map((V, index) => {
    try {
      return planFit(V, {
        ...shared,
        signal: combined,
        ...(onIteration && { onIteration: (info: IterationInfo) => onIteration({ ...info, index }) }),
      });
    } catch (error) {
      if (!settle) throw atIndex(error, index);
      return atIndex(error, index);
    }
  });

  const fitOne = async (plan: FitPlan | Error, index: number): Promise<NmfResult> => {
    if (plan instanceof Error) throw plan;
    try {
      return await fitPlanned(plan);
    } catch (error) {
      // A fit stopped because another one failed is not a failure of its own.
      if (failFast.signal.aborted && !signal?.aborted) throw failFast.signal.reason;
      const wrapped = atIndex(error, index);
      if (!settle) failFast.abort(wrapped);
      throw wrapped;
    }
  };

  // As many runners as fits may run at once pull the next matrix: queued matrices hold no listeners and no
  // memory beyond their validated copy, however long the batch.
  const runs: Promise<NmfResult>[] = new Array(plans.length);
  const gates: ((value: void) => void)[] = [];
  plans.forEach((_, index) => {
    runs[index] = new Promise<void>((start) => (gates[index] = start)).then(() => fitOne(plans[index]!, index));
  });
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < plans.length) {
      const index = next++;
      gates[index]!();
      await runs[index]!.catch(() => {});
    }
  };
  const runners = Array.from({ length: Math.min(plans.length, concurrency) }, runner);

  if (settle) {
    await Promise.all(runners);
    const settled = await Promise.allSettled(runs);
    if (signal?.aborted) throw abortError(signal);
    return settled.map(
      (s): BatchOutcome => (s.status === 'fulfilled' ? { status: 'fulfilled', value: s.value } : { status: 'rejected', reason: s.reason as Error }),
    );
  }
  try {
    return await Promise.all(runs);
  } finally {
    // Every fit has settled or is being stopped; nothing is left running after the promise settles.
    await Promise.all(runners);
  }
}
