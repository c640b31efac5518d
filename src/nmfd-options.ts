/**
 * The options of `nmfd` (convolutive NMF, docs/algorithms.md §13): defaults, validation and the plan. The plan is the
 * same {@link FitPlan} as `nmf`'s, with solver 'nmfd', so the same driver, backends and async machinery run it.
 *
 * Defaults follow libnmfd's `nmfd`: 30 iterations, T = 8 template frames, eps = 2^-52, templates drawn at random and
 * scaled to unit sum, activations all ones (on the scaled target V / (eps + ΣV)).
 */
import type { FitProblem } from './contract.js';
import { rangeError, typeError } from './errors.js';
import { checkCallOptions, type FitPlan, type VStorage } from './options.js';
import { Random, randomSeed } from './random.js';
import { defaultSpec } from './spec.js';
import type { Matrix } from './types.js';
import type { NmfdOptions } from './nmfd-types.js';
import {
  checkChoice,
  checkCount,
  checkFitMemory,
  checkHistoryMemory,
  checkNonNegative,
  checkedSize,
  describe,
  isArray,
  readList,
  readOptions,
  toMatrix,
} from './validate.js';

/** libnmfd's EPS, 2^-52: added to every denominator and to the model. */
export const NMFD_DEFAULT_EPS = 2 ** -52;
export const NMFD_DEFAULT_MAX_ITER = 30;
export const NMFD_DEFAULT_TEMPLATE_FRAMES = 8;

export const NMFD_OPTION_NAMES = [
  'rank',
  'templateFrames',
  'maxIter',
  'W',
  'H',
  'init',
  'seed',
  'updateW',
  'updateH',
  'eps',
  'stop',
  'tol',
  'errorEvery',
  'threads',
  'backend',
  'onIteration',
  'maxTime',
  'signal',
] as const;

/** The templates of options.W: R matrices, each K×T (libnmfd's list of templates). */
function readTemplates(value: unknown, K: number): Matrix[] {
  if (!isArray(value)) {
    throw typeError('NMFKIT_INVALID_TYPE', `options.W must be an array of R templates (K×T matrices), got ${describe(value)}`);
  }
  const list = readList(
    'options.W',
    value,
    'an array of R templates (K×T matrices)',
    2 ** 24,
    (length) => `options.W has ${length} templates, too many`,
  );
  if (list.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'options.W must hold at least one template');
  const templates: Matrix[] = [];
  list.forEach((t, r) => {
    const m = toMatrix(`options.W[${r}]`, t);
    if (m.rows !== K)
      throw rangeError('NMFKIT_INVALID_VALUE', `options.W[${r}] must have ${K} rows (the rows of V), got ${m.rows}×${m.cols}`);
    if (r > 0 && m.cols !== templates[0]!.cols) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `options.W[${r}] has ${m.cols} frames, options.W[0] has ${templates[0]!.cols}: every template needs the same number of frames`,
      );
    }
    templates.push(m);
  });
  return templates;
}

/** The templates as the kernels hold them: T stacked K×R matrices (entry (t, k, r) at (t·K + k)·R + r). */
export function stackTemplates(templates: readonly Matrix[], K: number, R: number, T: number): Float64Array {
  const W = new Float64Array(T * K * R);
  templates.forEach((m, r) => {
    for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) W[(t * K + k) * R + r] = m.data[k * T + t]!;
  });
  return W;
}

/** libnmfd's template initialisations: U[0, 1) ('random', seeded) or ones ('uniform'), each scaled to unit sum. */
function initialTemplates(init: 'random' | 'uniform', seed: number, K: number, R: number, T: number): Float64Array {
  const random = new Random(seed);
  const templates: Matrix[] = [];
  for (let r = 0; r < R; r++) {
    const data = init === 'random' ? random.fill(new Float64Array(K * T)) : new Float64Array(K * T).fill(1);
    let sum = 0;
    for (const x of data) sum += x;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! / (NMFD_DEFAULT_EPS + sum);
    templates.push({ rows: K, cols: T, data });
  }
  return stackTemplates(templates, K, R, T);
}

/** Validates V and the options of `nmfd` and builds the plan. Throws TypeError/RangeError naming what is wrong. */
export function planNmfd(V: unknown, options: unknown, storage: VStorage = { mode: 'async' }): FitPlan {
  const o = readOptions('options', options, NMFD_OPTION_NAMES, 'an object with at least { rank } or { W }') as NmfdOptions;
  const v = toMatrix('V', V, undefined, {}, storage.mode === 'sync' ? { borrow: false } : {});
  const K = v.rows;
  const N = v.cols;
  const given = o.W === undefined ? undefined : readTemplates(o.W, K);
  const rank = o.rank === undefined && given ? given.length : checkCount('options.rank', o.rank);
  if (given && given.length !== rank) {
    throw rangeError('NMFKIT_INVALID_VALUE', `options.W holds ${given.length} templates, options.rank is ${rank}: they must agree`);
  }
  const T =
    o.templateFrames === undefined
      ? (given?.[0]!.cols ?? Math.min(NMFD_DEFAULT_TEMPLATE_FRAMES, N))
      : checkCount('options.templateFrames', o.templateFrames);
  if (T > N) {
    throw rangeError('NMFKIT_INVALID_VALUE', `options.templateFrames must be at most the columns of V (${N}), got ${T}`);
  }
  if (given && given[0]!.cols !== T) {
    throw rangeError('NMFKIT_INVALID_VALUE', `options.W's templates have ${given[0]!.cols} frames, options.templateFrames is ${T}`);
  }
  const maxIter = o.maxIter === undefined ? NMFD_DEFAULT_MAX_ITER : checkCount('options.maxIter', o.maxIter, true);
  const init = o.init === undefined ? 'random' : checkChoice('options.init', o.init, ['random', 'uniform'] as const);
  const updateW = o.updateW === undefined ? true : checkBooleanOption('options.updateW', o.updateW);
  const updateH = o.updateH === undefined ? true : checkBooleanOption('options.updateH', o.updateH);
  if (!updateW && !updateH) {
    throw rangeError('NMFKIT_INVALID_VALUE', 'options.updateW and options.updateH are both false: the fit would learn nothing');
  }
  const eps = o.eps === undefined ? NMFD_DEFAULT_EPS : checkNonNegative('options.eps', o.eps);
  if (eps === 0)
    throw rangeError('NMFKIT_INVALID_VALUE', 'options.eps must be > 0: it is the floor of the model where the updates divide by it');
  const stop =
    o.stop === undefined ? 'none' : checkChoice('options.stop', o.stop, ['change', 'objective', 'none', 'relativeChange'] as const);
  const tol = o.tol === undefined ? 1e-3 : checkNonNegative('options.tol', o.tol);
  const errorEvery = o.errorEvery === undefined ? 10 : checkCount('options.errorEvery', o.errorEvery);
  const { threads, backend, maxTime } = checkCallOptions(
    o,
    'options',
    o.threads === undefined ? undefined : checkCount('options.threads', o.threads),
  );

  // Sizes before any allocation: the templates and their copy (T×K×R each), Λ beside V, the history.
  checkedSize('W', K, rank * T);
  checkedSize('H', rank, N);
  checkFitMemory(K, N, rank * T, true);
  checkHistoryMemory(maxIter, K, N, rank * T, true);
  const givenH = o.H === undefined ? undefined : toMatrix('options.H', o.H, { rows: rank, cols: N, why: 'rank × columns of V' });
  if (v.data.some((x) => x > 0) && (given?.every((m) => m.data.every((x) => x === 0)) || givenH?.data.every((x) => x === 0))) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.${givenH?.data.every((x) => x === 0) ? 'H' : 'W'} is all zero while V has a nonzero entry: the multiplicative updates can never leave it`,
    );
  }

  const seed = given ? null : (o.seed ?? randomSeed());
  const W = given ? stackTemplates(given, K, rank, T) : initialTemplates(init, seed!, K, rank, T);
  // Activations all ones on the scaled target V / (eps + ΣV), that is eps + ΣV in V's units (the kernels divide by it).
  let total = 0;
  for (const x of v.data) total += x;
  const H = givenH ? givenH.data : new Float64Array(rank * N).fill(eps + total);
  const spec = defaultSpec(K, N, rank, {
    solver: 'nmfd',
    beta: 1,
    eps,
    tol,
    stop,
    errorEvery,
    updateW,
    updateH,
    spectralError: false,
    templateFrames: T,
  });
  return {
    spec,
    maxIter,
    backend,
    seed,
    runs: 1,
    threads,
    problemFor: (_run, on, availableThreads) => {
      const team = on.teamSize(spec, threads ?? availableThreads, threads !== undefined);
      const problem: FitProblem = {
        spec: { ...spec, threads: team },
        // One run: the plan's own copies go to the backend (which may transfer them).
        V: v.data,
        W,
        H,
        mask: null,
        fixedColumnsW: new Uint8Array(rank),
      };
      return { problem, seed, init: undefined };
    },
    onIteration: o.onIteration,
    maxTime,
    signal: o.signal,
  };
}

function checkBooleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a boolean, got ${describe(value)}`);
  return value;
}
