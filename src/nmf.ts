/** The fit functions: validate, pick a backend, drive the fit, build the result. Entry points bind a runtime. */
import { abortError, driveAsync, driveSync, firstRun, groupable, groupOutcome, type DriverOutcome, type RunContext } from './driver.js';
import { bestRun } from './init/index.js';
import { checkOptions, planChecked, planFit, type CheckedOptions, type FitPlan } from './options.js';
import { buildResult } from './result.js';
import type { Backend, GroupFitRun, GroupLane } from './contract.js';
import type { Runtime } from './runtime.js';
import type { BackendName, CsrMatrixInput, MatrixInput, NmfOptions, NmfResult } from './types.js';

/** The signature of `nmfSync`: the factors' arrays are Float32Arrays for `dtype: 'float32'`, else Float64Arrays. */
export interface NmfSync {
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions & { readonly dtype: 'float32' }): NmfResult<Float32Array>;
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions & { readonly dtype?: 'float64' }): NmfResult<Float64Array>;
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions): NmfResult;
}

/** The signature of `nmf`, as {@link NmfSync}'s. */
export interface Nmf {
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions & { readonly dtype: 'float32' }): Promise<NmfResult<Float32Array>>;
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions & { readonly dtype?: 'float64' }): Promise<NmfResult<Float64Array>>;
  (V: MatrixInput | CsrMatrixInput, options: NmfOptions): Promise<NmfResult>;
}

export interface FitFunctions {
  readonly nmfSync: NmfSync;
  readonly nmf: Nmf;
  /**
   * Validates V for an async fit with options checked by `checkOptions` (once for many fits): the plan holds copies
   * (in the runtime's memory for them).
   */
  planAsync(V: unknown, options: CheckedOptions): FitPlan;
  /** Runs a validated plan off the main thread once the runtime admits it. */
  fitPlanned(plan: FitPlan): Promise<NmfResult>;
  /**
   * Runs validated plans of one call's options (the same backend, maxIter and signal) off the main thread, as one
   * request to the backend when they are {@link groupable} (else one by one): each plan's result, or the Error
   * it failed with. Rejects only when the signal aborts. `lane`: the groups of one runner of a batch, which run on
   * a lane of the backend's (GroupLane) where it has them and every fit has one thread.
   */
  fitGroup(plans: readonly FitPlan[], lane?: RunnerLane): Promise<Settled[]>;
}

/** The lane of one runner of a batch, opened on the first group that runs on one (fitGroup). */
export interface RunnerLane {
  opened?: { readonly backend: Backend; readonly lane: GroupLane };
}

/** How one fit of a group ended: its result, or what it threw (an onIteration may throw anything). */
export type Settled = { readonly ok: true; readonly value: NmfResult } | { readonly ok: false; readonly error: unknown };

function settledOf(fit: Promise<NmfResult>): Promise<Settled> {
  return fit.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );
}

export function fitFunctions(runtime: Runtime): FitFunctions {
  function nmfSync(V: MatrixInput | CsrMatrixInput, options: NmfOptions): NmfResult {
    const plan = planFit(V, options, { mode: 'sync' });
    const backend = runtime.chooseBackend(plan.backend);
    runtime.beforeSync(backend.name);
    const restarts = new Restarts(plan);
    for (let run = 0; restarts.wants(run); run++) {
      const { problem, seed, init } = plan.problemFor(run, backend, runtime.availableThreads(backend.name, true));
      restarts.add(run, seed, driveSync(backend.createFit(problem), plan, restarts.context(run), init));
    }
    return restarts.result(backend.name);
  }

  async function fitPlanned(plan: FitPlan): Promise<NmfResult> {
    if (plan.signal?.aborted) throw abortError(plan.signal);
    const preparing = runtime.prepare();
    if (preparing) {
      await preparing;
      if (plan.signal?.aborted) throw abortError(plan.signal);
    }
    const backend = runtime.chooseBackend(plan.backend);
    return runtime.scheduled(
      backend.name,
      async () => {
        const restarts = new Restarts(plan);
        for (let run = 0; restarts.wants(run); run++) {
          const { problem, seed, init } = plan.problemFor(run, backend, runtime.availableThreads(backend.name, false));
          restarts.add(run, seed, await driveAsync(backend.createAsyncFit(problem), plan, restarts.context(run), init));
        }
        return restarts.result(backend.name);
      },
      plan.signal,
    );
  }

  async function fitGroup(plans: readonly FitPlan[], lane?: RunnerLane): Promise<Settled[]> {
    const { signal, maxIter } = plans[0]!;
    if (plans.length === 1 || !plans.every(groupable)) {
      const results: Settled[] = [];
      for (const plan of plans) results.push(await settledOf(fitPlanned(plan)));
      if (signal?.aborted) throw abortError(signal);
      return results;
    }
    if (signal?.aborted) throw abortError(signal);
    const preparing = runtime.prepare();
    if (preparing) {
      await preparing;
      if (signal?.aborted) throw abortError(signal);
    }
    let backend: Backend;
    try {
      backend = runtime.chooseBackend(plans[0]!.backend);
    } catch (error) {
      return plans.map(() => ({ ok: false, error }));
    }
    type Runs = ReturnType<FitPlan['problemFor']>[];
    const runGroup = async (on: Pick<Backend, 'runGroupAsync'>, runs: Runs): Promise<{ runs: Runs; outcomes: (GroupFitRun | Error)[] }> => {
      const group = on.runGroupAsync(
        runs.map((run) => run.problem),
        maxIter,
      );
      const onAbort = (): void => group.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        return { runs, outcomes: await group.done };
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    };
    // One-thread fits of a runner run on its lane, which is admitted as one fit per run of it: no slot here.
    const laneRuns =
      lane && backend.openLane && plans.every((plan) => plan.threads === 1)
        ? plans.map((plan) => plan.problemFor(0, backend, 1))
        : undefined;
    // The slot is held while the backend runs the group, not while its results are made: a group waiting for a
    // slot starts as soon as the backend is done, and the results are made while it runs.
    const ran =
      laneRuns && !laneRuns.some((run) => run.init !== undefined)
        ? await runGroup(openLane(lane!, backend, signal), laneRuns)
        : await runtime.scheduled(
            backend.name,
            async () => {
              const runs = laneRuns ?? plans.map((plan) => plan.problemFor(0, backend, runtime.availableThreads(backend.name, false)));
              // A fit that computes its initial factors from V first (NNDSVD) needs requests of its own.
              if (runs.some((run) => run.init !== undefined)) {
                const results: Settled[] = [];
                for (const [i, plan] of plans.entries()) results.push(await settledOf(fitRun(backend, plan, runs[i]!)));
                if (signal?.aborted) throw abortError(signal);
                return { results };
              }
              return runGroup(backend, runs);
            },
            signal,
          );
    if (signal?.aborted) throw abortError(signal);
    if ('results' in ran) return ran.results;
    const { runs, outcomes } = ran;
    return outcomes.map((outcome, i): Settled => {
      if (outcome instanceof Error) return { ok: false, error: outcome };
      try {
        const restarts = new Restarts(plans[i]!);
        restarts.add(0, runs[i]!.seed, groupOutcome(plans[i]!, outcome));
        return { ok: true, value: restarts.result(backend.name) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  /**
   * Lanes' groups waiting for a slot, per backend: the other runners of a batch, whose waits must not make a lane
   * give up its run (LaneAdmission.contended).
   */
  const laneWaits: Record<BackendName, number> = { native: 0, wasm: 0 };

  /** The runner's lane on `backend`, opened when its first group comes (a lane's runs are admitted as fits are). */
  function openLane(lane: RunnerLane, backend: Backend, signal: AbortSignal | undefined): GroupLane {
    if (lane.opened?.backend !== backend) {
      const opened = backend.openLane!({
        admit: async (run) => {
          laneWaits[backend.name]++;
          let admitted = false;
          try {
            await runtime.scheduled(
              backend.name,
              () => {
                admitted = true;
                laneWaits[backend.name]--;
                return run();
              },
              signal,
            );
          } finally {
            if (!admitted) laneWaits[backend.name]--;
          }
        },
        contended: () => runtime.waiting(backend.name) > laneWaits[backend.name],
      });
      lane.opened = { backend, lane: opened };
    }
    return lane.opened.lane;
  }

  /** The one run of a plan whose problem was made (problemFor), on its own requests. */
  async function fitRun(backend: Backend, plan: FitPlan, run: ReturnType<FitPlan['problemFor']>): Promise<NmfResult> {
    const restarts = new Restarts(plan);
    restarts.add(0, run.seed, await driveAsync(backend.createAsyncFit(run.problem), plan, restarts.context(0), run.init));
    return restarts.result(backend.name);
  }

  function planAsync(V: unknown, options: CheckedOptions): FitPlan {
    return planChecked(V, options, { mode: 'async', allocatorFor: runtime.matrixAllocator });
  }

  async function nmf(V: MatrixInput | CsrMatrixInput, options: NmfOptions): Promise<NmfResult> {
    return fitPlanned(planAsync(V, checkOptions(options)));
  }

  // The result's arrays follow the options' dtype (buildResult, the backends): the signatures say so.
  return { nmfSync: nmfSync as NmfSync, nmf: nmf as Nmf, planAsync, fitPlanned, fitGroup };
}

/**
 * The runs of one call (`restarts`, docs/algorithms.md §10): seeds seed, seed + 1, …, one time budget for all, and
 * the run with the lowest objective kept (the first of equals; NaN never wins). A callback or the budget that stops
 * a run stops the call: the result is the best of the runs so far.
 */
class Restarts {
  readonly #plan: FitPlan;
  readonly #start: RunContext;
  readonly #objectives: number[] = [];
  #best: { outcome: DriverOutcome; seed: number | null } | undefined;
  #stopped = false;

  constructor(plan: FitPlan) {
    this.#plan = plan;
    this.#start = firstRun(plan);
  }

  wants(run: number): boolean {
    return run < this.#plan.runs && !this.#stopped;
  }

  context(run: number): RunContext {
    return { run, deadline: this.#start.deadline };
  }

  add(run: number, seed: number | null, outcome: DriverOutcome): void {
    this.#objectives.push(outcome.kernel.objective);
    if (bestRun(this.#objectives) === run) this.#best = { outcome, seed };
    if (outcome.stopReason === 'callback' || outcome.stopReason === 'maxTime') this.#stopped = true;
  }

  result(backend: BackendName): NmfResult {
    const { outcome, seed } = this.#best!;
    return buildResult(this.#plan, outcome, backend, seed, Float64Array.from(this.#objectives));
  }
}
