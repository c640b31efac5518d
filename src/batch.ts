/** Many independent fits with the same options, the cores kept busy, results in input order. */
import { abortError, groupable, requestShare } from './driver.js';
import type { FitFunctions, Settled } from './nmf.js';
import type { FitPlan } from './options.js';
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

/** Fits of one request at most ({@link runBatch}'s groups): the results of a group are made in one callback. */
const MAX_GROUP = 64;
/**
 * Work of one group at most, as a share of one async request's (driver.ts, requestShare): enough fits that the
 * hand-overs cost little beside their iterations, few enough that the last groups of a batch share the cores well.
 */
const GROUP_SHARE = 0.25;

/** A group takes at most 1/TAIL_SPLIT of a runner's even share of the matrices left ({@link runBatch}). */
const TAIL_SPLIT = 4;

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
  { planAsync, fitGroup }: FitFunctions,
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

  // Fail-fast mode stops the remaining fits on the first failure; the caller's signal stops everything.
  const failFast = new AbortController();
  const combined = signal ? AbortSignal.any([signal, failFast.signal]) : failFast.signal;

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
  // With a runner per core busy, each fit keeps one thread (a team would only take cores from the others).
  const oneThreadEach = shared.threads === undefined && list.length >= concurrency;
  const planOf = (index: number): FitPlan =>
    planAsync(list.get(index), {
      ...shared,
      ...(oneThreadEach && { threads: 1 }),
      signal: combined,
      ...(onIteration && { onIteration: (info: IterationInfo) => onIteration({ ...info, index }) }),
    });

  const count = list.length;
  const results = new ChunkedArray<NmfResult>(settle ? 0 : count);
  const outcomes = new ChunkedArray<BatchOutcome>(settle ? count : 0);
  let failure: Error | undefined;
  let next = 0;

  // The next matrices of a runner, planned: small fits go together, so that the backend takes them in one request
  // (fitGroup), up to GROUP_SHARE of a request's work and to a quarter of a runner's even share of what is left, so
  // that groups shrink towards the end and a runner slowed down (a busy machine) holds back little of the batch. A
  // matrix that fails its planning ends the group.
  const takeGroup = (): { indices: number[]; plans: FitPlan[]; refused?: { index: number; error: unknown } } => {
    const indices: number[] = [];
    const plans: FitPlan[] = [];
    const most = Math.min(MAX_GROUP, Math.ceil((count - next) / (TAIL_SPLIT * concurrency)));
    let share = 0;
    while (next < count && plans.length < most && share < GROUP_SHARE) {
      const index = next++;
      let plan: FitPlan;
      try {
        plan = planOf(index);
      } catch (error) {
        return { indices, plans, refused: { index, error } };
      }
      indices.push(index);
      plans.push(plan);
      share = groupable(plan) ? share + requestShare(plan) : GROUP_SHARE;
    }
    return { indices, plans };
  };

  const settleOne = (index: number, settled: Settled): void => {
    if (settled.ok) {
      if (settle) outcomes.set(index, { status: 'fulfilled', value: settled.value });
      else results.set(index, settled.value);
      return;
    }
    // A fit stopped because another one failed is not a failure of its own.
    const error = failFast.signal.aborted && !signal?.aborted ? (failFast.signal.reason as Error) : atIndex(settled.error, index);
    if (settle) outcomes.set(index, { status: 'rejected', reason: error });
    else if (failure === undefined) {
      failure = error;
      failFast.abort(failure);
    }
  };

  // As many runners as fits may run at once pull the next matrices: queued matrices hold no plan, no promise and
  // no listener, however long the batch.
  const runner = async (): Promise<void> => {
    while (next < count && failure === undefined && !signal?.aborted) {
      const { indices, plans, refused } = takeGroup();
      if (refused && !settle) settleOne(refused.index, { ok: false, error: refused.error });
      else if (plans.length > 0) {
        let settled: Settled[];
        try {
          settled = await fitGroup(plans);
        } catch (error) {
          settled = plans.map(() => ({ ok: false, error }));
        }
        indices.forEach((index, i) => settleOne(index, settled[i]!));
      }
      if (refused && settle) settleOne(refused.index, { ok: false, error: refused.error });
      // Fits that fail at once (a bad matrix, an aborted signal) settle in microtasks only: without a pause a long
      // batch of them would hold the event loop.
      await pause.now();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, runner));
  // Every fit has settled; nothing is left running after the promise settles.
  if (failure !== undefined) throw failure;
  if (signal?.aborted) throw abortError(signal);
  return settle ? outcomes.toArray() : results.toArray();
}
