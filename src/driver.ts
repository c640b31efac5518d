/**
 * The iteration driver: runs a backend's fit in chunks and does everything that concerns the caller —
 * progress callbacks, time budget, cancellation, the stop reason, the history of changes — once, for every
 * backend.
 */
import type { AsyncKernelFit, GroupFitRun, KernelFit, KernelResult } from './contract.js';
import { initializeAsyncFit, initializeFit, type FitInit } from './init/from-fit.js';
import type { FitPlan } from './options.js';
import { notComputable } from './result.js';
import { isCheckpoint } from './stop-rules.js';
import { setLongTimeout } from './timers.js';
import type { IterationInfo, StopReason } from './types.js';
import { abortedError } from './errors.js';

/** Iterations per synchronous kernel call at most: enough to amortise the call, few enough to check the clock. */
const MAX_CHUNK = 256;
/** A synchronous chunk should take about this long (ms), so a `maxTime` budget is overrun by little. */
const CHUNK_MS = 5;
/**
 * Iterations per async request at most. Cancellation does not need chunks (it reaches a running request), but
 * each request's change norms travel back as arrays of this size, which must stay small: a fit with
 * maxIter = 10^6 must not allocate and copy megabytes on the event loop's thread.
 */
const MAX_ASYNC_CHUNK = 4096;
/**
 * An async request should take about this long (ms). Cancellation reaches a running request between two
 * iterations, but the teardown of its environment (a worker thread terminated, the process exiting) cannot: it
 * waits for the request to end, so requests are kept this short. One request more per this many ms costs nothing
 * measurable.
 */
const ASYNC_CHUNK_MS = 100;
/** The rate assumed for the first request, before one was timed: below what any backend reaches, so it errs short. */
const ASSUMED_FLOPS_PER_MS = 5e6;

/** The work of one iteration of the plan's fit, in flops (roughly). */
function iterationFlops(plan: FitPlan): number {
  const { rows, cols, rank, solver, templateFrames } = plan.spec;
  // MU Euclidean and HALS: the two K×N×R products; MU β: four, and the entrywise powers beside them; NMFD: 3T
  // shifted ones.
  return solver === 'nmfd' ? 6 * templateFrames * rows * cols * rank : 4 * rows * cols * rank * (solver === 'mu-beta' ? 3 : 1);
}

/** Iterations of the first async request: about ASYNC_CHUNK_MS at ASSUMED_FLOPS_PER_MS. */
function firstAsyncChunk(plan: FitPlan): number {
  return Math.max(1, Math.min(MAX_ASYNC_CHUNK, Math.floor((ASYNC_CHUNK_MS * ASSUMED_FLOPS_PER_MS) / iterationFlops(plan))));
}

/**
 * The share of one async request (ASYNC_CHUNK_MS at ASSUMED_FLOPS_PER_MS) that the plan's whole fit takes, at most
 * (maxIter iterations, its finish counted as one more): fits that take a small share can run in groups
 * (Backend.runGroupAsync) without making a request longer than one fit's requests are.
 */
export function requestShare(plan: FitPlan): number {
  return ((plan.maxIter + 1) * iterationFlops(plan)) / (ASYNC_CHUNK_MS * ASSUMED_FLOPS_PER_MS);
}

/**
 * Whether the plan's fit can run in a group (Backend.runGroupAsync), to its end in one go: nothing of the caller's
 * runs between its iterations (no onIteration, no time budget), it is one run (no restarts), and its records of
 * change norms are no larger than one of driveAsync's requests makes.
 */
export function groupable(plan: FitPlan): boolean {
  return plan.onIteration === undefined && plan.maxTime === undefined && plan.runs === 1 && plan.maxIter <= MAX_ASYNC_CHUNK;
}

/**
 * The change norms of every executed iteration and the objective after it (NaN where it is no checkpoint), in
 * arrays that grow by doubling.
 */
class History {
  h: Float64Array;
  w: Float64Array;
  f: Float64Array;
  length = 0;

  constructor(maxIter: number) {
    const capacity = Math.min(maxIter, MAX_CHUNK);
    this.h = new Float64Array(capacity);
    this.w = new Float64Array(capacity);
    this.f = new Float64Array(capacity);
  }

  /** Makes room for `steps` more entries. */
  reserve(steps: number): void {
    const needed = this.length + steps;
    if (needed <= this.h.length) return;
    const capacity = Math.max(needed, this.h.length * 2);
    const grow = (old: Float64Array): Float64Array => {
      const grown = new Float64Array(capacity);
      grown.set(old.subarray(0, this.length));
      return grown;
    };
    this.h = grow(this.h);
    this.w = grow(this.w);
    this.f = grow(this.f);
  }

  /** Appends the records of `count` iterations that ran elsewhere (a group's run). */
  append(h: Float64Array, w: Float64Array, f: Float64Array, count: number): void {
    this.reserve(count);
    this.h.set(h.subarray(0, count), this.length);
    this.w.set(w.subarray(0, count), this.length);
    this.f.set(f.subarray(0, count), this.length);
  }

  /**
   * The records for the result, exactly sized: the arrays themselves when they are full (the usual end of a fit,
   * which ran maxIter ≤ MAX_CHUNK iterations), else copies. The history is not used after this.
   */
  take(): { hChange: Float64Array; wChange: Float64Array } {
    if (this.length === this.h.length) return { hChange: this.h, wChange: this.w };
    return { hChange: this.h.slice(0, this.length), wChange: this.w.slice(0, this.length) };
  }
}

/** What a driver hands to the result builder. */
export interface DriverOutcome {
  readonly kernel: KernelResult;
  readonly iterations: number;
  readonly stopReason: StopReason;
  readonly hChange: Float64Array;
  readonly wChange: Float64Array;
  /** The objective at iteration 0, at every checkpoint, and after the last iteration when that was none. */
  readonly objectiveHistory: { readonly iterations: Uint32Array; readonly values: Float64Array };
}

/** Which run of a fit call a driver runs, and the call's time budget (shared by all runs). */
export interface RunContext {
  /** 0-based run index (restarts). */
  readonly run: number;
  /** performance.now() at which the budget ends (Infinity without one). */
  readonly deadline: number;
}

/** The context of a call's first run: its budget starts now. */
export function firstRun(plan: FitPlan): RunContext {
  return { run: 0, deadline: plan.maxTime === undefined ? Infinity : performance.now() + plan.maxTime };
}

/** The error an aborted fit rejects with: a DOMException named AbortError carrying the signal's reason. */
export function abortError(signal: AbortSignal): Error {
  return abortedError(signal.reason);
}

/**
 * Bookkeeping shared by the drivers: how many iterations the next kernel call may run, and what the iterations
 * it did run mean.
 */
class Progress {
  readonly history: History;
  stopReason: StopReason | undefined;
  private readonly deadline: number;
  private readonly errorEvery: number;

  constructor(
    private readonly plan: FitPlan,
    private readonly context: RunContext,
  ) {
    this.history = new History(plan.maxIter);
    this.deadline = context.deadline;
    this.errorEvery = plan.spec.errorEvery;
    if (plan.maxIter === 0) this.stopReason = 'maxIter';
  }

  get left(): number {
    return this.plan.maxIter - this.history.length;
  }

  /** Makes room for and returns the size of the next kernel call, given a preferred chunk. */
  nextSteps(preferred: number): number {
    // A callback that may stop the fit must see every iteration before the next one runs.
    const steps = this.plan.onIteration ? 1 : Math.max(1, Math.min(this.left, preferred));
    this.history.reserve(steps);
    return steps;
  }

  /**
   * Records a kernel call's `executed` iterations; `converged`: the last of them passed the stop rule (the
   * kernel's converged()); `interrupted` says why the call may have stopped short.
   */
  record(executed: number, converged: boolean, interrupted?: 'maxTime' | 'abort'): void {
    const { history, plan } = this;
    const first = history.length;
    history.length += executed;
    for (let i = first; i < history.length; i++) {
      // NaN or Infinity: the fit overflowed (result.ts, notComputable); no callback sees it.
      const h = history.h[i]!;
      const w = history.w[i]!;
      if (h - h !== 0) throw notComputable(plan, `hChange of iteration ${i + 1}`, h);
      if (w - w !== 0) throw notComputable(plan, `wChange of iteration ${i + 1}`, w);
      if (plan.onIteration) {
        const info: IterationInfo = isCheckpoint(i + 1, this.errorEvery)
          ? { iteration: i + 1, hChange: h, wChange: w, objective: history.f[i]!, run: this.context.run }
          : { iteration: i + 1, hChange: h, wChange: w, run: this.context.run };
        if (plan.onIteration(info) === false) {
          // When this iteration also passed the stop rule, the fit converged: that is why it stopped.
          this.stopReason = converged && i === history.length - 1 ? 'tol' : 'callback';
          return;
        }
      }
    }
    if (executed > 0 && converged) this.stopReason = 'tol';
    else if (interrupted) this.stopReason = interrupted;
    else if (history.length >= plan.maxIter) this.stopReason = 'maxIter';
    else if (performance.now() >= this.deadline) this.stopReason = 'maxTime';
  }

  /** ms left of the time budget (Infinity without one). */
  timeLeft(): number {
    return this.deadline - performance.now();
  }

  outcome(kernel: KernelResult): DriverOutcome {
    const { history } = this;
    const iterations = [0];
    const values = [kernel.initialObjective];
    for (let i = this.errorEvery - 1; i < history.length; i += this.errorEvery) {
      iterations.push(i + 1);
      values.push(history.f[i]!);
    }
    // The closing entry: the objective of the returned factors, when the last iteration was no checkpoint.
    if (iterations[iterations.length - 1] !== history.length) {
      iterations.push(history.length);
      values.push(kernel.objective);
    }
    return {
      kernel,
      iterations: history.length,
      stopReason: this.stopReason!,
      ...history.take(),
      objectiveHistory: { iterations: Uint32Array.from(iterations), values: Float64Array.from(values) },
    };
  }
}

/** Runs a fit to the end on the calling thread (after `init`, when it computes its factors) and disposes it. */
export function driveSync(fit: KernelFit, plan: FitPlan, context: RunContext = firstRun(plan), init?: FitInit): DriverOutcome {
  try {
    if (init) initializeFit(fit, init);
    const progress = new Progress(plan, context);
    // Only a time budget needs the clock between chunks; without one every chunk is the largest.
    const budgeted = context.deadline !== Infinity;
    let chunk = budgeted ? 1 : MAX_CHUNK;
    while (progress.stopReason === undefined) {
      const steps = progress.nextSteps(chunk);
      const { h, w, f, length } = progress.history;
      const started = budgeted ? performance.now() : 0;
      const executed = fit.run(steps, h, w, length, f);
      progress.record(executed, fit.converged());
      if (budgeted) {
        // Size the next call to take about CHUNK_MS, learning the cost per iteration as we go.
        const perIteration = (performance.now() - started) / Math.max(executed, 1);
        chunk = Math.min(MAX_CHUNK, Math.max(1, Math.floor(CHUNK_MS / Math.max(perIteration, 1e-6))));
      }
    }
    return progress.outcome(fit.finish());
  } finally {
    fit.dispose();
  }
}

/**
 * The outcome of a fit that ran to its end in a group (Backend.runGroupAsync; the plan is {@link groupable}), as
 * {@link driveAsync} would have made it from the same iterations.
 */
export function groupOutcome(plan: FitPlan, ran: GroupFitRun, context: RunContext = firstRun(plan)): DriverOutcome {
  const progress = new Progress(plan, context);
  if (ran.executed > 0) {
    progress.history.append(ran.hChange, ran.wChange, ran.objective, ran.executed);
    progress.record(ran.executed, ran.converged);
  }
  // Stopped short of maxIter and its stop rule: only a cancel does that.
  if (progress.stopReason === undefined) throw plan.signal ? abortError(plan.signal) : abortedError(undefined);
  return progress.outcome(ran.result);
}

/**
 * Runs a fit to the end off the calling thread (after `init`, when it computes its factors) and disposes it, in
 * requests of about ASYNC_CHUNK_MS; an abort or the time budget stops it between two iterations through
 * `cancel()`, or between two products of the initialisation.
 */
export async function driveAsync(
  fit: AsyncKernelFit,
  plan: FitPlan,
  context: RunContext = firstRun(plan),
  init?: FitInit,
): Promise<DriverOutcome> {
  const { signal } = plan;
  let interrupted: 'maxTime' | 'abort' | undefined;
  const stop = (why: 'maxTime' | 'abort'): void => {
    interrupted ??= why;
    fit.cancel();
  };
  const onAbort = (): void => stop('abort');
  let cancelTimer = (): void => {};
  try {
    signal?.addEventListener('abort', onAbort, { once: true });
    const progress = new Progress(plan, context);
    if (plan.maxTime !== undefined) cancelTimer = setLongTimeout(() => stop('maxTime'), progress.timeLeft());
    if (init) {
      // Only an abort cuts the initialisation short (the factors are not set then); a budget that ran out during
      // it stops the fit after it, with the initial factors.
      await initializeAsyncFit(fit, init, () => interrupted === 'abort');
      if (interrupted === 'abort') throw abortError(signal!);
      if (interrupted === 'maxTime') progress.stopReason ??= 'maxTime';
    }
    let chunk = firstAsyncChunk(plan);
    while (progress.stopReason === undefined) {
      const steps = progress.nextSteps(Math.min(progress.left, chunk));
      const { h, w, f, length } = progress.history;
      const started = performance.now();
      const executed = await fit.runAsync(steps, h, w, length, f);
      if (interrupted === 'abort') throw abortError(signal!);
      progress.record(executed, fit.converged(), interrupted);
      const perIteration = (performance.now() - started) / Math.max(executed, 1);
      chunk = Math.min(MAX_ASYNC_CHUNK, Math.max(1, Math.floor(ASYNC_CHUNK_MS / Math.max(perIteration, 1e-6))));
    }
    cancelTimer();
    const kernel = await fit.finishAsync();
    if (signal?.aborted) throw abortError(signal);
    return progress.outcome(kernel);
  } finally {
    cancelTimer();
    signal?.removeEventListener('abort', onAbort);
    fit.dispose();
  }
}
