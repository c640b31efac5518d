/**
 * The online solver's options (scikit-learn's MiniBatchNMF): declared once in {@link ONLINE_OPTION_RULES}, checked
 * once, at the estimator's construction, beside the options of nmf (src/options.ts).
 */
import { rangeError } from '../errors.js';
import type { CheckedOptions } from '../options.js';
import { checkBoolean, checkCount, checkInRange, describe } from '../validate.js';

/** The estimator options of the online solver, with their scikit-learn names. */
export interface OnlineOptions {
  /** Samples (columns of V) per minibatch of `fit` (`batch_size`; default 1024, at most N). */
  readonly batchSize?: number;
  /** How fast the dictionary's statistics forget past minibatches, in [0, 1] (`forget_factor`; default 0.7). */
  readonly forgetFactor?: number;
  /** Whether each minibatch's activations are solved afresh rather than updated once (`fresh_restarts`; false). */
  readonly freshRestarts?: boolean;
  /** Iterations of each fresh solve of activations (`fresh_restarts_max_iter`; default 30). */
  readonly freshRestartsMaxIter?: number;
  /** Minibatches without improvement of the smoothed cost before `fit` stops; null: never (`max_no_improvement`; 10). */
  readonly maxNoImprovement?: number | null;
}

type Rule = (name: string, value: unknown) => unknown;

/** Each option's rule and default. */
export const ONLINE_OPTION_RULES: Readonly<Record<keyof OnlineOptions, { readonly check: Rule; readonly default: unknown }>> = {
  batchSize: { check: (name, value) => checkCount(name, value), default: 1024 },
  forgetFactor: { check: (name, value) => checkInRange(name, value, 0, 1), default: 0.7 },
  freshRestarts: { check: checkBoolean, default: false },
  freshRestartsMaxIter: { check: (name, value) => checkCount(name, value), default: 30 },
  maxNoImprovement: { check: (name, value) => (value === null ? null : checkCount(name, value)), default: 10 },
};

export const ONLINE_OPTION_NAMES = Object.keys(ONLINE_OPTION_RULES) as readonly (keyof OnlineOptions)[];

/** scikit-learn's MiniBatchNMF defaults where they differ from nmf's: epochs and the tolerance on the dictionary's change. */
export const ONLINE_DEFAULT_MAX_ITER = 200;
export const ONLINE_DEFAULT_TOL = 1e-4;

/** Everything the online solver reads, resolved. */
export interface OnlineSettings {
  readonly batchSize: number;
  readonly forgetFactor: number;
  readonly freshRestarts: boolean;
  readonly freshRestartsMaxIter: number;
  readonly maxNoImprovement: number | null;
  /** Epochs of `fit`, and the iterations of `transform`'s solve. */
  readonly maxIter: number;
  readonly tol: number;
  readonly beta: number;
  /** Penalties on the activations (H): scikit-learn's regularisation of its W. */
  readonly l1H: number;
  readonly l2H: number;
}

/**
 * The online settings of an estimator's options: the online options checked against their rules, and the
 * options of nmf the online solver cannot honour refused, naming them (`minibatch`: the estimator's fit is online, or
 * partialFit asks). `online`: the raw values of the online options.
 */
export function onlineSettings(checked: CheckedOptions, online: Record<string, unknown>, name: string, minibatch: boolean): OnlineSettings {
  const values: Record<string, unknown> = {};
  for (const key of ONLINE_OPTION_NAMES) {
    const value = online[key];
    values[key] = value === undefined ? ONLINE_OPTION_RULES[key].default : ONLINE_OPTION_RULES[key].check(`${name}.${key}`, value);
  }
  const { o, fields, beta } = checked;
  if (minibatch) {
    const refuse = (option: string, why: string): never => {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.${option} ${why} with the online solver (solver 'minibatch', partialFit; docs/algorithms.md §14)`,
      );
    };
    if (!(beta >= 1 && beta <= 2)) refuse('loss', `must be β in [1, 2] ('euclidean', 'kl' or a β between), got ${describe(o.loss)},`);
    if ((fields.l1W as number) > 0 || (fields.l2W as number) > 0) refuse((fields.l1W as number) > 0 ? 'l1W' : 'l2W', 'is not supported');
    if (fields.dtype === 'float32') refuse('dtype', "must be 'float64'");
    for (const option of ['restarts', 'fixedColumnsW', 'observed'] as const)
      if (o[option] !== undefined) refuse(option, 'is not supported');
    if (fields.normalize !== 'none') refuse('normalize', "must be 'none'");
  }
  return {
    ...(values as Omit<OnlineSettings, 'maxIter' | 'tol' | 'beta' | 'l1H' | 'l2H'>),
    maxIter: o.maxIter === undefined ? ONLINE_DEFAULT_MAX_ITER : checked.maxIter,
    tol: o.tol === undefined ? ONLINE_DEFAULT_TOL : (fields.tol as number),
    beta,
    l1H: fields.l1H as number,
    l2H: fields.l2H as number,
  };
}
