/**
 * Many planned fits on the cores: as many runners as fits may run at once pull the next fits, plan each only when
 * it is about to run, and hand small ones to the backend in groups (one request per group). nmfBatch and
 * estimateRank run their fits through it, so both keep the same admission, the same one-thread rule, fail-fast and
 * the event loop free.
 */
import { abortError, groupable, requestShare } from './driver.js';
import type { FitFunctions, RunnerLane, Settled } from './nmf.js';
import { checkOptions, type CheckedOptions, type FitPlan } from './options.js';
import type { NmfOptions, NmfResult } from './types.js';
import { EventLoopPause } from './timers.js';

/** Fits of one request at most: the results of a group are made in one callback. */
const MAX_GROUP = 64;
/**
 * Work of one group at most, as a share of one async request's (driver.ts, requestShare): enough fits that the
 * hand-overs cost little beside their iterations, few enough that the last groups of a run share the cores well.
 */
const GROUP_SHARE = 0.25;
/** A group takes at most 1/TAIL_SPLIT of a runner's even share of the fits left. */
const TAIL_SPLIT = 4;

/** A run of `count` fits: how to plan each, and where their outcomes go. */
export interface FitRun {
  readonly count: number;
  /** Fits that may run at once: the runners. */
  readonly concurrency: number;
  /**
   * The options of fit `index` (the plan is made from `input(index)` and these, with `signal` and, when the run's
   * fits fill the cores, one thread each, unless they set `threads`).
   */
  options(index: number): NmfOptions;
  /** Every fit's options are the same (`options(0)`'s): they are checked once, for the first fit planned. */
  readonly sameOptions: boolean;
  /** The matrix of fit `index`. */
  input(index: number): unknown;
  /** true: every fit's failure goes to `settled`; false: the first one stops the other fits and is thrown. */
  readonly settle: boolean;
  /** Receives each fit's result, or with `settle` its failure (the error as `failure` maps it). */
  settled(index: number, outcome: { ok: true; value: NmfResult } | { ok: false; error: Error }): void;
  /** The error a failure of fit `index` is reported as. */
  failure(index: number, error: unknown): Error;
  readonly signal?: AbortSignal;
}

/** Runs every fit of `run` (resolves when all have settled; with fail-fast, rejects with the first failure). */
export async function runFits({ planAsync, fitGroup }: FitFunctions, run: FitRun): Promise<void> {
  const { count, concurrency, settle, signal } = run;
  // Fail-fast mode stops the remaining fits on the first failure; the caller's signal stops everything.
  const failFast = new AbortController();
  const combined = signal ? AbortSignal.any([signal, failFast.signal]) : failFast.signal;
  const pause = new EventLoopPause();
  // With a runner per core busy, each fit keeps one thread (a team would only take cores from the others).
  const oneThreadEach = count >= concurrency;
  const checkedOf = (index: number): CheckedOptions => {
    const options = run.options(index);
    return checkOptions({ ...options, ...(oneThreadEach && options.threads === undefined && { threads: 1 }), signal: combined });
  };
  // With sameOptions, the check of the first fit planned, or what it threw, serves every fit.
  let shared: { readonly checked: CheckedOptions } | { readonly error: unknown } | undefined;
  const planOf = (index: number): FitPlan => {
    if (!run.sameOptions) return planAsync(run.input(index), checkedOf(index));
    if (!shared) {
      try {
        shared = { checked: checkedOf(index) };
      } catch (error) {
        shared = { error };
      }
    }
    if ('error' in shared) throw shared.error;
    return planAsync(run.input(index), shared.checked);
  };
  let failure: Error | undefined;
  let next = 0;

  // The next fits of a runner, planned: small fits go together, so that the backend takes them in one request
  // (fitGroup), up to GROUP_SHARE of a request's work and to a quarter of a runner's even share of what is left, so
  // that groups shrink towards the end and a runner slowed down (a busy machine) holds back little of the run. A
  // fit that fails its planning ends the group.
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

  const settleOne = (index: number, outcome: Settled): void => {
    if (outcome.ok) {
      run.settled(index, outcome);
      return;
    }
    // A fit stopped because another one failed is not a failure of its own.
    const error = failFast.signal.aborted && !signal?.aborted ? (failFast.signal.reason as Error) : run.failure(index, outcome.error);
    if (settle) run.settled(index, { ok: false, error });
    else if (failure === undefined) {
      failure = error;
      failFast.abort(failure);
    }
  };

  // One group of a runner: its fits run, then settle in order. Resolves once they have.
  const runGroup = async ({ indices, plans, refused }: ReturnType<typeof takeGroup>, lane: RunnerLane): Promise<void> => {
    if (refused && !settle) settleOne(refused.index, { ok: false, error: refused.error });
    else if (plans.length > 0) {
      let outcomes: Settled[];
      try {
        outcomes = await fitGroup(plans, lane);
      } catch (error) {
        outcomes = plans.map(() => ({ ok: false, error }));
      }
      indices.forEach((index, i) => settleOne(index, outcomes[i]!));
    }
    if (refused && settle) settleOne(refused.index, { ok: false, error: refused.error });
  };

  // As many runners as fits may run at once pull the next fits: queued fits hold no plan, no promise and no
  // listener, however long the run. While a group of small fits runs, its runner plans and submits the next group,
  // so that the backend starts it as soon as the current one is done, not after the current one's results are made
  // and the next one planned on this thread. The group submitted joins the runner's lane (nmf.ts, RunnerLane: the
  // thread that runs the current group takes it next) or waits for a slot (runtime.scheduled) with its copies, so a
  // runner is ahead by one group at most, and never while a large fit runs (its copies are large).
  const runner = async (): Promise<void> => {
    let running: Promise<void> | undefined;
    const lane: RunnerLane = {};
    while (next < count && failure === undefined && !signal?.aborted) {
      const group = takeGroup();
      const submitted = runGroup(group, lane);
      if (running) await running;
      running = submitted;
      if (!group.plans.every(groupable)) {
        await running;
        running = undefined;
      }
      // Fits that fail at once (a bad matrix, an aborted signal) settle in microtasks only: without a pause a long
      // run of them would hold the event loop.
      await pause.now();
    }
    if (running) await running;
  };
  await Promise.all(Array.from({ length: Math.min(count, concurrency) }, runner));
  // Every fit has settled; nothing is left running after the promise settles.
  if (failure !== undefined) throw failure;
  if (signal?.aborted) throw abortError(signal);
}
