/**
 * Options: defaults, validation and the initial factors. The result is a {@link FitPlan}, everything a driver
 * needs, with private copies of every array.
 */
import type { FitProblem, KernelNormalize } from './contract.js';
import { initialize, initUsesSeed, type InitMethod } from './init/index.js';
import { Random, randomSeed } from './random.js';
import type { IterationInfo, Matrix, NmfOptions } from './types.js';
import {
  checkChoice,
  checkCount,
  checkFitMemory,
  checkNonNegative,
  checkedSize,
  describe,
  isAbortSignal,
  readOptions,
  toMatrix,
} from './validate.js';

/** Default `eps`: float32 machine epsilon, 2^-23, as in the seed (libfmp's `nmf`). */
export const DEFAULT_EPS = 2 ** -23;
export const DEFAULT_MAX_ITER = 1000;
export const DEFAULT_TOL = 1e-3;

const OPTION_NAMES = [
  'rank',
  'maxIter',
  'tol',
  'W',
  'H',
  'seed',
  'init',
  'normalize',
  'eps',
  'dtype',
  'backend',
  'onIteration',
  'maxTime',
  'signal',
] as const;

/** A validated fit: the problem for the backend plus what the driver and the result need. */
export interface FitPlan {
  readonly problem: FitProblem;
  readonly maxIter: number;
  readonly normalize: KernelNormalize;
  readonly backend: 'auto' | 'native' | 'wasm';
  readonly seed: number | null;
  readonly onIteration: ((info: IterationInfo) => boolean | void) | undefined;
  /** Time budget in ms, or undefined for none. */
  readonly maxTime: number | undefined;
  /** Cancels an async fit. */
  readonly signal: AbortSignal | undefined;
}

/** Validates V and the options and builds the plan. Throws TypeError/RangeError naming what is wrong. */
export function planFit(V: unknown, options: unknown): FitPlan {
  const v = toMatrix('V', V);
  // Each option read once; a getter or proxy trap that throws is a TypeError naming the option.
  const o = readOptions('options', options, OPTION_NAMES, 'an object with at least { rank }') as NmfOptions;

  const rank = checkCount('options.rank', o.rank);
  const maxIter = o.maxIter === undefined ? DEFAULT_MAX_ITER : checkCount('options.maxIter', o.maxIter, true);
  const tol = o.tol === undefined ? DEFAULT_TOL : checkNonNegative('options.tol', o.tol);
  const eps = o.eps === undefined ? DEFAULT_EPS : checkNonNegative('options.eps', o.eps);
  const normalize = o.normalize === undefined ? 'none' : checkChoice('options.normalize', o.normalize, ['none', 'max']);
  const dtype = o.dtype === undefined ? 'float64' : checkChoice('options.dtype', o.dtype, ['float64', 'float32']);
  const backend = o.backend === undefined ? 'auto' : checkChoice('options.backend', o.backend, ['auto', 'native', 'wasm']);
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function') {
    throw new TypeError(`options.onIteration must be a function, got ${describe(o.onIteration)}`);
  }
  const maxTime = o.maxTime === undefined ? undefined : checkNonNegative('options.maxTime', o.maxTime);
  if (o.signal !== undefined && !isAbortSignal(o.signal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (o.seed !== undefined) {
    if (typeof o.seed !== 'number') throw new TypeError(`options.seed must be a number, got ${describe(o.seed)}`);
    if (!Number.isSafeInteger(o.seed)) throw new RangeError(`options.seed must be a safe integer, got ${describe(o.seed)}`);
  }

  const init = o.init === undefined ? 'random' : checkChoice('options.init', o.init, INIT_METHODS);
  if (init.startsWith('nndsvd') && rank > Math.min(v.rows, v.cols)) {
    throw new RangeError(
      `options.init '${init}' needs rank ≤ min(rows, cols) of V = ${Math.min(v.rows, v.cols)}, got rank ${rank} (use 'random' or 'random-scaled')`,
    );
  }

  checkedSize('W', v.rows, rank);
  checkedSize('H', rank, v.cols);
  checkFitMemory(v.rows, v.cols, rank);
  const givenW = o.W === undefined ? undefined : toMatrix('options.W', o.W, { rows: v.rows, cols: rank, why: 'rows of V × rank' });
  const givenH = o.H === undefined ? undefined : toMatrix('options.H', o.H, { rows: rank, cols: v.cols, why: 'rank × columns of V' });
  const { W, H, seed } = initialFactors(v, rank, givenW, givenH, o.seed, init);

  return {
    problem: { rows: v.rows, cols: v.cols, rank, V: v.data, W, H, eps, tol, dtype },
    maxIter,
    normalize,
    backend,
    seed,
    onIteration: o.onIteration,
    maxTime,
    signal: o.signal,
  };
}

const INIT_METHODS: readonly InitMethod[] = ['random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'];

/**
 * The initial factors. A factor the caller gave is used as is. `'random'` is the seed's initialisation: U[0,1)
 * entries, W0 (K×R, row-major) drawn first, then H0 (R×N), a given factor taking no draws. The other methods are
 * those of src/init (docs/algorithms.md); `seed` is reported only when the method used it.
 */
function initialFactors(
  v: Matrix,
  rank: number,
  givenW: Matrix | undefined,
  givenH: Matrix | undefined,
  requestedSeed: number | undefined,
  init: InitMethod,
): { W: Float64Array; H: Float64Array; seed: number | null } {
  if (givenW && givenH) return { W: givenW.data, H: givenH.data, seed: null };
  const seed = requestedSeed ?? randomSeed();
  if (init === 'random') {
    const random = new Random(seed);
    const W = givenW ? givenW.data : random.fill(new Float64Array(v.rows * rank));
    const H = givenH ? givenH.data : random.fill(new Float64Array(rank * v.cols));
    return { W, H, seed };
  }
  const made = initialize(init, v.data, v.rows, v.cols, rank, seed);
  return { W: givenW?.data ?? made.W, H: givenH?.data ?? made.H, seed: initUsesSeed(init) ? seed : null };
}
