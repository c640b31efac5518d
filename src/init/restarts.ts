/**
 * Restarts: run the fit from `runs` random initialisations with seeds seed, seed + 1, …, seed + runs − 1 and keep
 * the run with the lowest final objective (the first of equal ones; a NaN objective never wins over a number).
 */
import { rangeError } from '../errors.js';

/** The seeds of the runs. Throws a RangeError when the last one would not be a safe integer. */
export function restartSeeds(seed: number, runs: number): number[] {
  if (!Number.isSafeInteger(seed)) throw rangeError('NMFKIT_INVALID_VALUE', `restarts: seed must be a safe integer, got ${seed}`);
  if (!Number.isInteger(runs) || runs < 1) throw rangeError('NMFKIT_INVALID_VALUE', `restarts must be an integer ≥ 1, got ${runs}`);
  if (!Number.isSafeInteger(seed + (runs - 1))) {
    throw rangeError('NMFKIT_INVALID_VALUE', `restarts: seed + restarts − 1 = ${seed + runs - 1} is not a safe integer`);
  }
  return Array.from({ length: runs }, (_, k) => seed + k);
}

/** Index of the run with the lowest objective: the first of equals; NaN only if every objective is NaN (then 0). */
export function bestRun(objectives: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < objectives.length; k++) {
    const x = objectives[k]!;
    const b = objectives[best]!;
    if (x < b || (Number.isNaN(b) && !Number.isNaN(x))) best = k;
  }
  return best;
}
