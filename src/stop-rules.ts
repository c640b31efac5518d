/**
 * The objective checkpoints (docs/algorithms.md §6–§7). The kernels evaluate the objective at iteration 0 and after
 * every `errorEvery`-th iteration and apply the stop rule there; the facade needs only to know which iterations
 * are checkpoints and the default interval.
 */

/** errorEvery by default: 1 for the Euclidean loss (its objective is nearly free), 10 otherwise. */
export function defaultErrorEvery(beta: number): number {
  return beta === 2 ? 1 : 10;
}

/** Whether the objective is evaluated after `iteration` (1-based). */
export function isCheckpoint(iteration: number, errorEvery: number): boolean {
  return iteration % errorEvery === 0;
}
