/**
 * Stop rules and the objective history (docs/algorithms.md §6–§7), as pure helpers for the facade's driver.
 *
 *  - 'change' (default, the seed): stop after the first iteration with hChange < tol and wChange < tol;
 *  - 'objective': the objective is evaluated at iteration 0 and every `errorEvery` iterations; stop at the first
 *    checkpoint ℓ > 0 where (F_prev − F_ℓ) / F_prev < tol, F_prev being the previous checkpoint's value (or
 *    F_prev = 0: nothing left to decrease). An increase (negative decrease) stops too;
 *  - 'none': run maxIter iterations (or until the callback, time budget or abort stops the fit).
 *
 * The history holds the objective at 0, errorEvery, 2·errorEvery, … and after the last iteration when that is not
 * a checkpoint. Kernels evaluate the same test on the same numbers, so the facade can tell why a chunk stopped.
 */

export type StopRule = 'change' | 'objective' | 'none';

/** errorEvery by default: 1 for the Euclidean loss (its objective is nearly free), 10 otherwise. */
export function defaultErrorEvery(beta: number): number {
  return beta === 2 ? 1 : 10;
}

/** The seed's test. */
export function changeConverged(hChange: number, wChange: number, tol: number): boolean {
  return hChange < tol && wChange < tol;
}

/** The 'objective' test between two consecutive checkpoints. */
export function objectiveConverged(previous: number, current: number, tol: number): boolean {
  return previous === 0 || (previous - current) / previous < tol;
}

/** Whether the objective is evaluated after `iteration` (1-based). */
export function isCheckpoint(iteration: number, errorEvery: number): boolean {
  return iteration % errorEvery === 0;
}

/** The objective history of one fit and the 'objective' stop rule on it. */
export class ObjectiveHistory {
  readonly iterations: number[] = [];
  readonly values: number[] = [];

  constructor(
    readonly rule: StopRule,
    readonly tol: number,
    readonly errorEvery: number,
  ) {
    if (!Number.isInteger(errorEvery) || errorEvery < 1) throw new RangeError(`errorEvery must be an integer ≥ 1, got ${errorEvery}`);
  }

  /** Records the objective after `iteration` (0 = the initial factors); returns true when the rule stops the fit. */
  record(iteration: number, value: number): boolean {
    const last = this.iterations.length - 1;
    if (last >= 0 && iteration <= this.iterations[last]!) {
      throw new RangeError(`objective history: iteration ${iteration} after ${this.iterations[last]}`);
    }
    const previous = last >= 0 ? this.values[last]! : undefined;
    this.iterations.push(iteration);
    this.values.push(value);
    return this.rule === 'objective' && previous !== undefined && objectiveConverged(previous, value, this.tol);
  }

  /**
   * Whether the objective must be evaluated after `iteration` for the history: a checkpoint, or the last iteration
   * of the fit (`last`), unless it is recorded already.
   */
  wants(iteration: number, last: boolean): boolean {
    if (this.iterations[this.iterations.length - 1] === iteration) return false;
    return last || isCheckpoint(iteration, this.errorEvery);
  }

  /** The last recorded value (the objective of the final iterate before normalisation). */
  get latest(): number | undefined {
    return this.values[this.values.length - 1];
  }
}
