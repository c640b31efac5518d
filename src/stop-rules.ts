/**
 * The objective checkpoints (docs/algorithms.md §6–§7). The kernels evaluate the objective at iteration 0 and after
 * every `errorEvery`-th iteration and apply the stop rule there; the facade needs only to know which iterations
 * are checkpoints and the default interval.
 */

/**
 * errorEvery by default: 1 for the Euclidean loss without a mask (its objective comes from products the iteration
 * has at hand, nearly free), 10 otherwise (each evaluation forms W·H: measured +27 % per iteration for the masked
 * Euclidean loss at 1025×2000 R 32 when evaluated every iteration).
 */
export function defaultErrorEvery(beta: number, masked: boolean): number {
  return beta === 2 && !masked ? 1 : 10;
}

/** Whether the objective is evaluated after `iteration` (1-based). */
export function isCheckpoint(iteration: number, errorEvery: number): boolean {
  return iteration % errorEvery === 0;
}
