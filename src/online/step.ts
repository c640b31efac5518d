/**
 * One minibatch step of the online solver (scikit-learn's MiniBatchNMF `_minibatch_step`, `_solve_W`), written as
 * generators: every solve of a chunk's activations with the dictionary fixed is a request the generator yields,
 * and its runner (src/online/run.ts) answers with one backend fit, synchronously or off the thread. The steps
 * themselves are thus written once for both.
 */
import { divergence, mean, modelAt, relativeChange, sums, updateDictionary, type Chunk, type Dictionary } from './algebra.js';
import type { OnlineSettings } from './options.js';

/**
 * Up to `maxIter` MU updates of activations H (R×b) of chunk V against the dictionary W (K×R), held fixed; with
 * `tol` > 0 they stop after the first whose ‖H − H_prev‖_F / ‖H‖_F ≤ tol (the fit's `stop: 'relativeChange'`).
 */
export interface ActivationRequest {
  readonly V: Chunk;
  readonly W: Float64Array;
  readonly H: Float64Array;
  readonly maxIter: number;
  readonly tol: number;
}

/** The runner's answer to an activation request: the updated H and ‖V − W·H‖_F with it, as the fit computed it. */
export interface ActivationAnswer {
  readonly H: Float64Array;
  readonly frobeniusError: number;
}

/** A computation that yields activation solves to its runner and receives the updated H. */
export type Steps<T> = Generator<ActivationRequest, T, ActivationAnswer>;

/**
 * Up to `maxIter` MU updates of H: a request to the runner, but where H or W is all zero, whose updates give H = 0
 * without a fit (the ratio of an update multiplies H, and with W = 0 its numerator is 0); the error is then not
 * known (NaN).
 */
function* update(V: Chunk, W: Float64Array, H: Float64Array, maxIter = 1, tol = 0): Steps<ActivationAnswer> {
  if (allZero(H) || maxIter === 0) return { H, frobeniusError: NaN };
  if (allZero(W)) return { H: new Float64Array(H.length), frobeniusError: NaN };
  return yield { V, W, H, maxIter, tol };
}

function allZero(x: Float64Array): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== 0) return false;
  return true;
}

/**
 * The activations of V against a fixed dictionary, from scratch (scikit-learn's `_solve_W`): H starts at
 * √(mean(V)/R) everywhere and takes MU updates until ‖H − H_prev‖_F / ‖H‖_F ≤ tol (when tol > 0) or maxIter of them,
 * in one fit.
 */
export function* solveActivations(V: Chunk, W: Float64Array, rank: number, maxIter: number, tol: number): Steps<ActivationAnswer> {
  return yield* update(V, W, new Float64Array(rank * V.cols).fill(Math.sqrt(mean(V) / rank)), maxIter, tol);
}

/**
 * What a minibatch step leaves: the new dictionary, the chunk's activations, D_β of the chunk against the dictionary
 * before the step and those activations, and scikit-learn's `batch_cost` from it.
 */
export interface StepOutcome {
  readonly dictionary: Dictionary;
  readonly H: Float64Array;
  readonly divergence: number;
  readonly cost: number;
}

/**
 * One minibatch step: the chunk's activations (one MU update of `H` when given and fresh restarts are off, else
 * solved afresh with `freshRestartsMaxIter` updates), the cost with them, then the dictionary's online update with
 * forgetting `rho`.
 */
export function* minibatchStep(
  dictionary: Dictionary,
  V: Chunk,
  H: Float64Array | undefined,
  settings: OnlineSettings,
  rank: number,
  rho: number,
): Steps<StepOutcome> {
  const { W } = dictionary;
  const { beta, l1H, l2H } = settings;
  const answer =
    settings.freshRestarts || H === undefined
      ? yield* solveActivations(V, W, rank, settings.freshRestartsMaxIter, settings.tol)
      : yield* update(V, W, H);
  const activations = answer.H;
  // The Euclidean divergence is the fit's own residual norm, computed with these activations; others are recomputed
  // in scikit-learn's formula (its float32-eps rules for KL and β), from the Λ = W·H_b the dictionary update reads too.
  const fromFit = beta === 2 && Number.isFinite(answer.frobeniusError);
  const WH = beta === 2 ? undefined : modelAt(V, W, activations, rank, beta);
  const d = fromFit ? answer.frobeniusError ** 2 / 2 : divergence(V, W, activations, rank, beta, WH);
  const [s, s2] = sums(activations);
  // scikit-learn's `batch_cost`: (D_β + l1·ΣH_b + l2·ΣH_b²) / b (its l2 term has no ½, unlike the objective).
  const cost = (d + l1H * s + l2H * s2) / V.cols;
  return { dictionary: updateDictionary(dictionary, V, activations, rank, beta, rho, WH), H: activations, divergence: d, cost };
}

/**
 * scikit-learn's early stopping of MiniBatchNMF.fit (`_minibatch_convergence`): the first step never stops; then an
 * exponentially weighted average of the batch costs, and a stop when the dictionary's relative change is ≤ tol or
 * the average has not improved for `maxNoImprovement` steps.
 */
export class Convergence {
  #ewa: number | undefined;
  #ewaMin: number | undefined;
  #noImprovement = 0;

  constructor(
    private readonly settings: OnlineSettings,
    private readonly samples: number,
  ) {}

  /** Whether the fit stops after step `step` (0-based) on a chunk of `size` samples. */
  stops(step: number, size: number, cost: number, W: Float64Array, previousW: Float64Array): boolean {
    if (step === 0) return false;
    if (this.#ewa === undefined) this.#ewa = cost;
    else {
      const alpha = Math.min(size / (this.samples + 1), 1);
      this.#ewa = this.#ewa * (1 - alpha) + cost * alpha;
    }
    const { tol, maxNoImprovement } = this.settings;
    if (tol > 0 && relativeChange(W, previousW) <= tol) return true;
    if (this.#ewaMin === undefined || this.#ewa < this.#ewaMin) {
      this.#noImprovement = 0;
      this.#ewaMin = this.#ewa;
    } else this.#noImprovement++;
    return maxNoImprovement !== null && this.#noImprovement >= maxNoImprovement;
  }
}
