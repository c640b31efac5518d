/**
 * The online solver as the estimator uses it: `fit` over epochs of V's columns, `partialFit` of one chunk and
 * `transform`, each as generators of activation updates (src/online/step.ts) that the estimator runs on the
 * calling thread or off it (src/online/run.ts), and the state a model keeps between chunks.
 */
import { divergence, sums, type Chunk, type Dictionary } from './algebra.js';
import { fitEpochs, type Columns } from './epochs.js';
import type { OnlineSettings } from './options.js';
import { minibatchStep, solveActivations, type Steps } from './step.js';

/** What partialFit continues from: the dictionary's statistics, the forgetting per chunk and the counts so far. */
export interface OnlineState {
  readonly A: Float64Array;
  readonly B: Float64Array;
  /** forgetFactor^(batch / samples of the first chunk or of V): scikit-learn fixes it at the first call. */
  readonly rho: number;
  /** Samples (columns) seen by all steps. */
  readonly samples: number;
  /** Minibatch steps done (scikit-learn's n_steps_). */
  readonly steps: number;
}

/** A model's fit as the online solver leaves it. */
export interface OnlineFit {
  readonly W: Float64Array;
  readonly online: OnlineState;
  /** Epochs (fit) or steps (partialFit). */
  readonly nIter: number;
  readonly reconstructionErr: number;
  readonly objective: number;
  readonly converged: boolean;
}

/** D_β of V (read in blocks of columns) against W·H, and the objective with the penalties on H. */
function errors(columns: Columns, N: number, W: Float64Array, H: Float64Array, rank: number, settings: OnlineSettings): [number, number] {
  const block = Math.min(settings.batchSize, N);
  let d = 0;
  for (let start = 0; start < N; start += block) {
    const end = Math.min(start + block, N);
    const b = end - start;
    const Hb = new Float64Array(rank * b);
    for (let r = 0; r < rank; r++) Hb.set(H.subarray(r * N + start, r * N + end), r * b);
    d += divergence(columns(start, end), W, Hb, rank, settings.beta);
  }
  return objectiveOf(d, H, settings);
}

/** √(2·D) (scikit-learn's reconstruction_err_) and the objective D + l1H·ΣH + ½·l2H·ΣH² (docs/algorithms.md §1). */
function objectiveOf(d: number, H: Float64Array, settings: OnlineSettings): [number, number] {
  const [s, s2] = sums(H);
  return [Math.sqrt(2 * Math.max(0, d)), d + settings.l1H * s + 0.5 * settings.l2H * s2];
}

/** `fit(V)`: epochs from W0 and H0; returns the fit and H (R×N). */
export function* fitOnline(
  columns: Columns,
  N: number,
  W0: Float64Array,
  H0: Float64Array,
  rank: number,
  settings: OnlineSettings,
): Steps<{ fit: OnlineFit; H: Float64Array }> {
  const outcome = yield* fitEpochs(columns, N, W0, H0, rank, settings);
  const { W, A, B } = outcome.dictionary;
  const [reconstructionErr, objective] = errors(columns, N, W, outcome.H, rank, settings);
  return {
    fit: {
      W,
      online: { A, B, rho: outcome.rho, samples: outcome.samples, steps: outcome.steps },
      nIter: outcome.epochs,
      reconstructionErr,
      objective,
      converged: outcome.converged,
    },
    H: outcome.H,
  };
}

/**
 * The state a first partialFit starts from, with dictionary W0: A = W0, B = 1 and the forgetting
 * forgetFactor^(min(batchSize, b) / b) of its chunk's b samples (scikit-learn's partial_fit).
 */
export function startState(W0: Float64Array, chunkSamples: number, settings: OnlineSettings): Dictionary & OnlineState {
  const rho = settings.forgetFactor ** (Math.min(settings.batchSize, chunkSamples) / chunkSamples);
  return { W: W0, A: W0.slice(), B: new Float64Array(W0.length).fill(1), rho, samples: 0, steps: 0 };
}

/**
 * `partialFit(chunk)`: one minibatch step, the chunk's activations solved afresh (scikit-learn's partial_fit);
 * reconstructionErr and objective are the chunk's. Returns the fit and scikit-learn's batch cost of the chunk.
 */
export function* partialFitOnline(
  state: Dictionary & OnlineState,
  V: Chunk,
  rank: number,
  settings: OnlineSettings,
): Steps<{ fit: OnlineFit; cost: number }> {
  const outcome = yield* minibatchStep(state, V, undefined, settings, rank, state.rho);
  const { W, A, B } = outcome.dictionary;
  const [reconstructionErr, objective] = objectiveOf(outcome.divergence, outcome.H, settings);
  const steps = state.steps + 1;
  return {
    fit: {
      W,
      online: { A, B, rho: state.rho, samples: state.samples + V.cols, steps },
      nIter: steps,
      reconstructionErr,
      objective,
      converged: false,
    },
    cost: outcome.cost,
  };
}

/** `transform(V)` of an online model: V's activations solved afresh against W (scikit-learn's MiniBatchNMF.transform). */
export function* transformOnline(V: Chunk, W: Float64Array, rank: number, settings: OnlineSettings): Steps<Float64Array> {
  return (yield* solveActivations(V, W, rank, settings.maxIter, settings.tol)).H;
}
