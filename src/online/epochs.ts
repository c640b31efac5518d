/**
 * `fit` with the online solver: epochs of minibatches over V's columns in order, without shuffling, as
 * scikit-learn's MiniBatchNMF.fit (`_fit_transform`).
 */
import type { Chunk, Dictionary } from './algebra.js';
import type { OnlineSettings } from './options.js';
import { Convergence, minibatchStep, solveActivations, type Steps } from './step.js';

/** The columns start … end − 1 of V (K × (end − start)), dense or CSR as V. */
export type Columns = (start: number, end: number) => Chunk;

/** What an online fit leaves. */
export interface EpochsOutcome {
  readonly dictionary: Dictionary;
  /** H (R×N). */
  readonly H: Float64Array;
  /** Epochs started (scikit-learn's n_iter_). */
  readonly epochs: number;
  /** Minibatch steps done (n_steps_). */
  readonly steps: number;
  readonly converged: boolean;
  /** The forgetting of each step: forgetFactor^(batch / N). */
  readonly rho: number;
  /** Samples the steps saw. */
  readonly samples: number;
}

/**
 * Runs the epochs over V (K×N, read through `columns`) from the dictionary W0 (K×R) and activations H0 (R×N). With
 * fresh restarts, H is solved afresh over all of V at the end against the final dictionary (maxIter updates).
 */
export function* fitEpochs(
  columns: Columns,
  N: number,
  W0: Float64Array,
  H0: Float64Array,
  rank: number,
  settings: OnlineSettings,
): Steps<EpochsOutcome> {
  const batch = Math.min(settings.batchSize, N);
  const rho = settings.forgetFactor ** (batch / N);
  let dictionary: Dictionary = { W: W0.slice(), A: W0.slice(), B: new Float64Array(W0.length).fill(1) };
  let H: Float64Array = H0.slice();
  const perEpoch = Math.ceil(N / batch);
  const total = settings.maxIter * perEpoch;
  const convergence = new Convergence(settings, N);
  let steps = 0;
  let samples = 0;
  let converged = false;
  while (steps < total && !converged) {
    const start = (steps % perEpoch) * batch;
    const end = Math.min(start + batch, N);
    const V = columns(start, end);
    const outcome = yield* minibatchStep(
      dictionary,
      V,
      settings.freshRestarts ? undefined : columnsOf(H, rank, N, start, end),
      settings,
      rank,
      rho,
    );
    // Without fresh restarts each sample's activations persist across epochs (scikit-learn updates W[batch] in place).
    if (!settings.freshRestarts) setColumns(H, outcome.H, rank, N, start, end);
    converged = convergence.stops(steps, end - start, outcome.cost, outcome.dictionary.W, dictionary.W);
    dictionary = outcome.dictionary;
    steps++;
    samples += end - start;
  }
  if (settings.freshRestarts) H = (yield* solveActivations(columns(0, N), dictionary.W, rank, settings.maxIter, settings.tol)).H;
  return { dictionary, H, epochs: Math.ceil(steps / perEpoch), steps, converged, rho, samples };
}

/** Columns start … end − 1 of an R×N matrix. */
function columnsOf(H: Float64Array, R: number, N: number, start: number, end: number): Float64Array {
  const b = end - start;
  const out = new Float64Array(R * b);
  for (let r = 0; r < R; r++) out.set(H.subarray(r * N + start, r * N + end), r * b);
  return out;
}

function setColumns(H: Float64Array, block: Float64Array, R: number, N: number, start: number, end: number): void {
  const b = end - start;
  for (let r = 0; r < R; r++) H.set(block.subarray(r * b, (r + 1) * b), r * N + start);
}
