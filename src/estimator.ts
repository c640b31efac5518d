/**
 * The `NMF` estimator: scikit-learn's `NMF` over nmfkit's fit functions (docs/api.md#the-nmf-estimator).
 *
 * Samples are V's columns: scikit-learn's X (n_samples × n_features) is Vᵀ, its `components_` is Wᵀ and its
 * `transform(X)` returns Hᵀ. `fit(V)` learns W (K×R) and H; `transform(V)` learns H for new columns against the
 * learned W held fixed (`updateW: false`), with the same loss, penalties and eps; `toJSON` / `NMF.fromJSON` save and
 * load a model in a versioned format of its own (`nmfkit-model`, version 2; version 1 read too), the same in both
 * entries. `solver: 'minibatch'`, `partialFit` and `partialFitAsync` are the online solver (src/online/), whose
 * state (the dictionary's statistics) the saved model carries.
 *
 * Each entry binds the class to its fit functions ({@link estimatorClass}); options are checked once, at
 * construction, by src/options.ts (checkOptions: the specification table's rules), and the data by nmf itself.
 */
import { abortError } from './driver.js';
import { plainError, rangeError, typeError } from './errors.js';
import type { FitFunctions } from './nmf.js';
import { chunkInput, type Chunk } from './online/algebra.js';
import { fitOnline, partialFitOnline, startState, transformOnline, type OnlineFit, type OnlineState } from './online/model.js';
import { ONLINE_OPTION_NAMES, onlineSettings, type OnlineOptions, type OnlineSettings } from './online/options.js';
import { activationFits, columnsOf, readChunk, runAsync, runSync, type ActivationFits } from './online/run.js';
import type { Steps } from './online/step.js';
import { checkFixedColumns, checkOptions, OPTION_NAMES, type CheckedOptions } from './options.js';
import { multiply } from './result.js';
import type { CsrMatrixInput, FactorArray, Matrix, MatrixInput, NmfOptions, NmfResult, StopReason } from './types.js';
import { isCsrInput, toCsr } from './csr.js';
import {
  checkChoice,
  checkCount,
  checkNonNegative,
  checkPositive,
  describe,
  isAbortSignal,
  isArray,
  readArray,
  readOptions,
  readOwnProperties,
  toMatrix,
} from './validate.js';

/** The options of `nmf` an estimator has no use for: the data's own (W, H, mask), the call's (signal), and those it sets itself. */
const NOT_ESTIMATOR_OPTIONS: readonly string[] = ['W', 'H', 'mask', 'signal', 'updateW', 'updateH', 'spectralError'];

/** The options of `new NMF(options)`: those of nmf but {@link NOT_ESTIMATOR_OPTIONS}, and the online solver's. */
export const ESTIMATOR_OPTION_NAMES: readonly string[] = [
  ...OPTION_NAMES.filter((name) => !NOT_ESTIMATOR_OPTIONS.includes(name)),
  ...ONLINE_OPTION_NAMES,
];

/**
 * Options of `new NMF(options)`: those of `nmf` (docs/api.md#options) without the per-call ones — the initial
 * factors `W`, `H` (given to `fit` instead), `mask`, `signal` (given to the async methods) — and without
 * `updateW`, `updateH` (fit learns both; transform holds W fixed) and `spectralError` (the estimator reports the
 * Frobenius error only). `rank` is required.
 */
export interface NmfEstimatorOptions
  extends Omit<NmfOptions, 'rank' | 'W' | 'H' | 'mask' | 'signal' | 'updateW' | 'updateH' | 'spectralError' | 'solver'>, OnlineOptions {
  /** R, the number of components (scikit-learn's `n_components`). */
  readonly rank: number;
  /**
   * How `fit` learns: `'mu'` or `'hals'` as nmf; `'minibatch'`, the online solver (scikit-learn's MiniBatchNMF:
   * epochs of minibatches of `batchSize` columns; `maxIter` counts epochs, default 200, and `tol`, default 1e-4,
   * bounds the dictionary's relative change; docs/algorithms.md §14).
   */
  readonly solver?: 'mu' | 'hals' | 'minibatch';
}

/** The options of `partialFit`: the initial dictionary of the first call (scikit-learn's `init='custom'`). */
export interface EstimatorPartialFitOptions {
  /** Initial W (K×R), used by the first call only; absent: from `init` on the first chunk. */
  readonly W?: MatrixInput;
}

/** The options of `partialFitAsync`. */
export interface EstimatorAsyncPartialFitOptions extends EstimatorPartialFitOptions {
  readonly signal?: AbortSignal;
}

/** The initial factors of one fit (scikit-learn's `fit(X, W=…, H=…)` with `init='custom'`), in nmfkit's orientation. */
export interface EstimatorFitOptions {
  /** Initial W (K×R); absent: from `init`. */
  readonly W?: MatrixInput;
  /** Initial H (R×N); absent: from `init`. */
  readonly H?: MatrixInput;
}

/** {@link EstimatorFitOptions} of the async methods, with the signal that cancels the fit. */
export interface EstimatorAsyncFitOptions extends EstimatorFitOptions {
  readonly signal?: AbortSignal;
}

/** The options of `transformAsync`. */
export interface EstimatorAsyncOptions {
  readonly signal?: AbortSignal;
}

/** The saved form of a model (`toJSON()`, `NMF.fromJSON(json)`): plain JSON data, version 2 (version 1 is read too). */
export interface NmfModelJson {
  readonly format: 'nmfkit-model';
  readonly version: 1 | 2;
  /** The options the model was made with (`onIteration`, a function, is not saved). */
  readonly options: Omit<NmfEstimatorOptions, 'onIteration'>;
  /** W (K×R), row-major; null for a model not fitted yet (then the fields below are null too). */
  readonly components: { readonly rows: number; readonly cols: number; readonly data: readonly number[] } | null;
  readonly nIter: number | null;
  readonly reconstructionErr: number | null;
  readonly objective: number | null;
  readonly stopReason: Exclude<StopReason, 'abort'> | null;
  readonly seed: number | null;
  /**
   * Version 2: what partialFit continues from (A and B, K×R row-major; rho; samples seen; minibatch steps), or null
   * for a model no online fit made. Absent in version 1.
   */
  readonly online?: {
    readonly A: readonly number[];
    readonly B: readonly number[];
    readonly rho: number;
    readonly samples: number;
    readonly steps: number;
  } | null;
}

/** The model format this nmfkit writes, and the newest it reads. */
export const MODEL_FORMAT = 'nmfkit-model';
export const MODEL_VERSION = 2;

/** A fitted or unfitted `NMF` estimator (the instance type of the class both entries export as `NMF`). */
export interface NmfEstimator<D extends FactorArray = FactorArray> {
  /** The options it was made with, as a fresh copy. */
  readonly options: NmfEstimatorOptions;
  /** Whether it holds a fitted model (`fit`, `fitAsync`, `fitTransform…` or `NMF.fromJSON` of a fitted one). */
  readonly isFitted: boolean;
  /** The learned templates W (K×R) as a fresh matrix: scikit-learn's `components_` transposed. */
  readonly components: Matrix<D>;
  /** Iterations of the fit (scikit-learn's `n_iter_`). */
  readonly nIter: number;
  /**
   * ‖V − W·H‖_F for the Euclidean loss (scikit-learn's `reconstruction_err_`); for another loss β, as
   * scikit-learn, √(2·D_β(V | W·H)) with nmfkit's D_β (docs/algorithms.md §1), the penalties left out.
   */
  readonly reconstructionErr: number;
  /** The objective of the fit: loss plus penalties (docs/algorithms.md §1). */
  readonly objective: number;
  /** Why the fit stopped. */
  readonly stopReason: StopReason;
  /** The seed of the fit's initialisation, or null when it used none. */
  readonly seed: number | null;
  /** Learns W and H from V (K×N; samples are its columns). Returns the estimator. */
  fit(V: MatrixInput, options?: EstimatorFitOptions): this;
  /** `fit`, returning H (R×N): scikit-learn's `fit_transform` transposed. */
  fitTransform(V: MatrixInput, options?: EstimatorFitOptions): Matrix<D>;
  /** H (R×N′) of new columns V (K×N′) against the learned W held fixed: scikit-learn's `transform` transposed. */
  transform(V: MatrixInput): Matrix<D>;
  /** W·H (K×N′, float64) of activations H (R×N′). */
  inverseTransform(H: MatrixInput): Matrix;
  /** `fit` off the calling thread; `options.signal` cancels it (the model is then unchanged). */
  fitAsync(V: MatrixInput, options?: EstimatorAsyncFitOptions): Promise<this>;
  /** `fitTransform` off the calling thread. */
  fitTransformAsync(V: MatrixInput, options?: EstimatorAsyncFitOptions): Promise<Matrix<D>>;
  /** `transform` off the calling thread. */
  transformAsync(V: MatrixInput, options?: EstimatorAsyncOptions): Promise<Matrix<D>>;
  /**
   * Updates the model with one chunk of samples (K×b, dense or CSR; the first call sets K): scikit-learn's
   * MiniBatchNMF.partial_fit. Returns the estimator.
   */
  partialFit(chunk: MatrixInput | CsrMatrixInput, options?: EstimatorPartialFitOptions): this;
  /** `partialFit` off the calling thread; `options.signal` cancels it (the model is then unchanged). Calls apply in order. */
  partialFitAsync(chunk: MatrixInput | CsrMatrixInput, options?: EstimatorAsyncPartialFitOptions): Promise<this>;
  /** The model as plain JSON data (`JSON.stringify(model)` calls it); `NMF.fromJSON` reads it back. */
  toJSON(): NmfModelJson;
}

/** The class both entries export as `NMF`: construct with options, or load a saved model. */
export interface NmfEstimatorClass {
  new (options: NmfEstimatorOptions & { readonly dtype: 'float32' }): NmfEstimator<Float32Array>;
  new (options: NmfEstimatorOptions & { readonly dtype?: 'float64' }): NmfEstimator<Float64Array>;
  new (options: NmfEstimatorOptions): NmfEstimator;
  /**
   * A model from `toJSON()`'s data or its JSON text, checked field by field: a foreign or malformed model is a
   * TypeError or RangeError naming the field (`json.components.data[3]`), a newer version NMFKIT_MODEL_VERSION.
   */
  fromJSON(json: string | NmfModelJson): NmfEstimator;
  readonly prototype: NmfEstimator;
}

/** What a fit leaves in the estimator. */
interface Fitted {
  readonly W: Matrix<FactorArray>;
  readonly nIter: number;
  readonly reconstructionErr: number;
  readonly objective: number;
  readonly stopReason: StopReason;
  readonly seed: number | null;
  /** The online solver's state, for a model an online fit made. */
  readonly online?: OnlineState;
}

/** The scikit-learn batch cost of the last chunk partialFit took and the samples seen, for nmfStream (src/online/stream.ts). */
export const LAST_CHUNKS = new WeakMap<object, { readonly cost: number; readonly samples: number }>();

/** The estimator's options that play no part in transform, whose W is fixed and H given. */
const NOT_TRANSFORM_OPTIONS: readonly string[] = ['restarts', 'seed', 'init', 'normalize', 'fixedColumnsW'];
const STOP_REASONS = ['tol', 'maxIter', 'maxTime', 'callback'] as const;
const MODEL_FIELDS_V1 = ['format', 'version', 'options', 'components', 'nIter', 'reconstructionErr', 'objective', 'stopReason', 'seed'];
const MODEL_FIELDS = [...MODEL_FIELDS_V1, 'online'];
const FIT_OPTION_NAMES = ['W', 'H'];
const ASYNC_FIT_OPTION_NAMES = ['W', 'H', 'signal'];
const ONLINE_STATE_FIELDS = ['A', 'B', 'rho', 'samples', 'steps'];

function notFitted(what: string): Error {
  return plainError(
    'NMFKIT_NOT_FITTED',
    `This NMF model is not fitted yet: call fit(V) or fitAsync(V), or load a fitted model with NMF.fromJSON, before ${what}`,
  );
}

/** Σ x and Σ x² of a factor. */
function sums(data: FactorArray): [number, number] {
  let s = 0;
  let s2 = 0;
  for (let k = 0; k < data.length; k++) {
    const x = data[k]!;
    s += x;
    s2 += x * x;
  }
  return [s, s2];
}

/**
 * scikit-learn's `reconstruction_err_`: ‖V − WH‖_F for the Euclidean loss, else √(2·D_β), the divergence being the
 * objective less the penalties (computed from the returned factors).
 */
function reconstructionError(checked: CheckedOptions, result: NmfResult): number {
  if (checked.beta === 2) return result.frobeniusError;
  const f = checked.fields as { l1W: number; l2W: number; l1H: number; l2H: number };
  const [sW, s2W] = f.l1W > 0 || f.l2W > 0 ? sums(result.W.data) : [0, 0];
  const [sH, s2H] = f.l1H > 0 || f.l2H > 0 ? sums(result.H.data) : [0, 0];
  const penalties = f.l1W * sW + 0.5 * f.l2W * s2W + f.l1H * sH + 0.5 * f.l2H * s2H;
  return Math.sqrt(2 * Math.max(0, result.objective - penalties));
}

/**
 * The estimator's options, checked: those of nmf by checkOptions (solver 'minibatch' read as 'mu', the updates of
 * its chunks), the online solver's by src/online/options.ts; `fixedColumnsW` validated against the rank and copied.
 */
function estimatorOptions(
  options: unknown,
  name: string,
): { checked: CheckedOptions; options: Record<string, unknown>; online: OnlineSettings | undefined } {
  const raw = readOptions(name, options, ESTIMATOR_OPTION_NAMES, 'an object with at least { rank }') as Record<string, unknown>;
  const minibatch = raw.solver === 'minibatch';
  const forNmf = Object.fromEntries(
    Object.entries(raw).filter(([key]) => !(ONLINE_OPTION_NAMES as readonly string[]).includes(key) && !(minibatch && key === 'solver')),
  );
  const checked = checkOptions(forNmf, name, ESTIMATOR_OPTION_NAMES);
  const rank = checked.rank ?? checkCount(`${name}.rank`, undefined);
  const online = onlineSettings(checked, raw, name, minibatch);
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (value !== undefined) own[key] = value;
  if (checked.o.fixedColumnsW !== undefined) {
    const flags = checkFixedColumns(checked.o.fixedColumnsW, rank, name);
    own.fixedColumnsW = [...flags.keys()].filter((c) => flags[c] === 1);
  }
  return { checked: { ...checked, rank }, options: own, online: minibatch ? online : undefined };
}

/** The estimator's options that nmf takes: without the online solver's, and without solver 'minibatch'. */
function nmfOptionsOf(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).filter(
      ([key, value]) => !(ONLINE_OPTION_NAMES as readonly string[]).includes(key) && !(key === 'solver' && value === 'minibatch'),
    ),
  );
}

/** The matrix of a float64 Matrix in the model's dtype. */
function inDtype(m: Matrix, dtype: unknown): Matrix<FactorArray> {
  return dtype === 'float32' ? { rows: m.rows, cols: m.cols, data: Float32Array.from(m.data) } : m;
}

/** The class `NMF` over an entry's fit functions. */
export function estimatorClass(fits: FitFunctions): NmfEstimatorClass {
  class NMF {
    readonly #checked: CheckedOptions;
    /** The checked options, as given (without undefined ones), never handed out: copies are. */
    readonly #options: Readonly<Record<string, unknown>>;
    /** The online solver's settings when `fit` uses it (solver 'minibatch'). */
    readonly #minibatch: OnlineSettings | undefined;
    /** The activation updates of the online solver, as backend fits. */
    readonly #activations: ActivationFits;
    /** partialFitAsync calls apply in order: each waits for the one before. */
    #partialQueue: Promise<unknown> = Promise.resolve();
    #fitted: Fitted | undefined;
    /** Fits started and the last one whose result was kept: a fit that ends after a later one started is dropped. */
    #started = 0;
    #kept = 0;

    constructor(options: NmfEstimatorOptions) {
      const { checked, options: own, online } = estimatorOptions(options, 'options');
      this.#checked = checked;
      this.#options = own;
      this.#minibatch = online;
      this.#activations = activationFits(fits, own);
    }

    static fromJSON(json: string | NmfModelJson): NMF {
      return readModel(
        json,
        (options) => new NMF(options as unknown as NmfEstimatorOptions),
        (model, fitted) => {
          model.#fitted = fitted;
          return model;
        },
      );
    }

    get options(): NmfEstimatorOptions {
      return this.#copyOptions() as unknown as NmfEstimatorOptions;
    }

    get isFitted(): boolean {
      return this.#fitted !== undefined;
    }

    get components(): Matrix<FactorArray> {
      const { W } = this.#model('components');
      return { rows: W.rows, cols: W.cols, data: W.data.slice() };
    }

    get nIter(): number {
      return this.#model('nIter').nIter;
    }

    get reconstructionErr(): number {
      return this.#model('reconstructionErr').reconstructionErr;
    }

    get objective(): number {
      return this.#model('objective').objective;
    }

    get stopReason(): StopReason {
      return this.#model('stopReason').stopReason;
    }

    get seed(): number | null {
      return this.#model('seed').seed;
    }

    fit(V: MatrixInput, options?: EstimatorFitOptions): this {
      this.#fitSync(V, options);
      return this;
    }

    fitTransform(V: MatrixInput, options?: EstimatorFitOptions): Matrix<FactorArray> {
      return this.#fitSync(V, options).H;
    }

    transform(V: MatrixInput): Matrix<FactorArray> {
      const online = this.#onlineTransform(V);
      if (online) return { ...online.shape, data: runSync(online.steps, this.#activations) };
      const plan = this.#transformPlan(V);
      return plan.H ?? fits.nmfSync(plan.V, plan.options).H;
    }

    partialFit(chunk: MatrixInput | CsrMatrixInput, options?: EstimatorPartialFitOptions): this {
      const generation = ++this.#started;
      const { steps, seed } = this.#partialPlan(chunk, options, ['W'], (V, o) => fits.nmfSync(V, o));
      this.#keepPartial(generation, runSync(steps, this.#activations), seed);
      return this;
    }

    async partialFitAsync(chunk: MatrixInput | CsrMatrixInput, options?: EstimatorAsyncPartialFitOptions): Promise<this> {
      const previous = this.#partialQueue;
      let done = (): void => {};
      this.#partialQueue = new Promise<void>((resolve) => (done = resolve));
      try {
        await previous;
        const generation = ++this.#started;
        const given = options === undefined ? {} : readOptions('options', options, ['W', 'signal']);
        const signal = this.#signalOf(given);
        if (signal?.aborted) throw abortError(signal);
        const init = async (V: Matrix | CsrMatrixInput, o: NmfOptions): Promise<NmfResult> =>
          fits.nmf(V, { ...o, ...(signal && { signal }) });
        const { steps, seed } = await this.#partialPlanAsync(chunk, given, init);
        this.#keepPartial(generation, await runAsync(steps, this.#activations, signal), seed);
        return this;
      } finally {
        done();
      }
    }

    inverseTransform(H: MatrixInput): Matrix {
      const { W } = this.#model('inverseTransform');
      const h = toMatrix('H', H);
      if (h.rows !== W.cols) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `H must have ${W.cols} rows (the model's rank: components is ${W.rows}×${W.cols}), got ${h.rows}×${h.cols}`,
        );
      }
      return multiply(W, h);
    }

    async fitAsync(V: MatrixInput, options?: EstimatorAsyncFitOptions): Promise<this> {
      await this.#fitAsync(V, options);
      return this;
    }

    async fitTransformAsync(V: MatrixInput, options?: EstimatorAsyncFitOptions): Promise<Matrix<FactorArray>> {
      return (await this.#fitAsync(V, options)).H;
    }

    async transformAsync(V: MatrixInput, options?: EstimatorAsyncOptions): Promise<Matrix<FactorArray>> {
      const { signal } = options === undefined ? {} : (readOptions('options', options, ['signal']) as { signal?: unknown });
      const online = this.#onlineTransform(V);
      if (online) return { ...online.shape, data: await runAsync(online.steps, this.#activations, this.#signalOf({ signal })) };
      const plan = this.#transformPlan(V);
      if (plan.H) return plan.H;
      return (await fits.nmf(plan.V, { ...plan.options, ...(signal !== undefined && { signal: signal as AbortSignal }) })).H;
    }

    toJSON(): NmfModelJson {
      const options = this.#copyOptions();
      delete options.onIteration;
      const fitted = this.#fitted;
      const online = fitted?.online;
      return {
        format: MODEL_FORMAT,
        version: MODEL_VERSION,
        options: options as unknown as NmfModelJson['options'],
        components: fitted ? { rows: fitted.W.rows, cols: fitted.W.cols, data: Array.from(fitted.W.data) } : null,
        nIter: fitted?.nIter ?? null,
        reconstructionErr: fitted?.reconstructionErr ?? null,
        objective: fitted?.objective ?? null,
        stopReason: (fitted?.stopReason as NmfModelJson['stopReason'] | undefined) ?? null,
        seed: fitted?.seed ?? null,
        online: online
          ? { A: Array.from(online.A), B: Array.from(online.B), rho: online.rho, samples: online.samples, steps: online.steps }
          : null,
      };
    }

    #copyOptions(): Record<string, unknown> {
      const copy = { ...this.#options };
      if (isArray(copy.fixedColumnsW)) copy.fixedColumnsW = [...copy.fixedColumnsW];
      return copy;
    }

    #model(what: string): Fitted {
      if (!this.#fitted) throw notFitted(what);
      return this.#fitted;
    }

    /** The options of nmf for a fit: the estimator's, and the call's initial factors (and signal). */
    #fitOptions(options: unknown, names: readonly string[]): NmfOptions {
      const call = options === undefined ? {} : readOptions('options', options, names);
      const given = Object.fromEntries(Object.entries(call).filter(([, value]) => value !== undefined));
      // HALS in scikit-learn's cd order on X = Vᵀ (its W, our H, first), unless the options say otherwise.
      return { halsOrder: 'h-first', ...nmfOptionsOf(this.#options), ...given, spectralError: false } as NmfOptions;
    }

    #signalOf(options: unknown): AbortSignal | undefined {
      if (options === undefined || options === null) return undefined;
      const { signal } = options as { signal?: unknown };
      if (signal === undefined) return undefined;
      if (!isAbortSignal(signal)) throw typeError('NMFKIT_INVALID_TYPE', `options.signal must be an AbortSignal, got ${describe(signal)}`);
      return signal;
    }

    #fitSync(V: MatrixInput, options: unknown): { H: Matrix<FactorArray> } {
      const generation = ++this.#started;
      const fitOptions = this.#fitOptions(options, FIT_OPTION_NAMES);
      if (this.#minibatch) {
        const online = this.#onlineFitPlan(V, fits.nmfSync(V, { ...fitOptions, maxIter: 0 }), this.#minibatch);
        return this.#keepOnline(generation, runSync(online.steps, this.#activations), online.seed);
      }
      const result = fits.nmfSync(V, fitOptions);
      this.#keep(generation, result);
      return result;
    }

    async #fitAsync(V: MatrixInput, options: unknown): Promise<{ H: Matrix<FactorArray> }> {
      const generation = ++this.#started;
      const fitOptions = this.#fitOptions(options, ASYNC_FIT_OPTION_NAMES);
      if (this.#minibatch) {
        const online = this.#onlineFitPlan(V, await fits.nmf(V, { ...fitOptions, maxIter: 0 }), this.#minibatch);
        const outcome = await runAsync(online.steps, this.#activations, fitOptions.signal);
        return this.#keepOnline(generation, outcome, online.seed);
      }
      const result = await fits.nmf(V, fitOptions);
      this.#keep(generation, result);
      return result;
    }

    #keep(generation: number, result: NmfResult): void {
      this.#keepFitted(generation, {
        W: result.W,
        nIter: result.iterations,
        reconstructionErr: reconstructionError(this.#checked, result),
        objective: result.objective,
        stopReason: result.stopReason,
        seed: result.seed,
      });
    }

    #keepFitted(generation: number, fitted: Fitted): void {
      if (generation < this.#kept) return;
      this.#kept = generation;
      this.#fitted = fitted;
    }

    /** The fit of `fit(V)` with the online solver, from the initial factors `init` (nmf's with maxIter 0). */
    #onlineFitPlan(
      V: MatrixInput | CsrMatrixInput,
      init: NmfResult,
      settings: OnlineSettings,
    ): { steps: Steps<{ fit: OnlineFit; H: Float64Array }>; seed: number | null } {
      const source = isCsrInput(V) ? toCsr('V', V) : toMatrix('V', V);
      const { W, H } = init;
      const steps = fitOnline(columnsOf(source), H.cols, W.data as Float64Array, H.data as Float64Array, W.cols, settings);
      return { steps, seed: init.seed };
    }

    #keepOnline(generation: number, outcome: { fit: OnlineFit; H: Float64Array }, seed: number | null): { H: Matrix<FactorArray> } {
      const { fit, H } = outcome;
      const rank = this.#checked.rank!;
      this.#keepFitted(generation, {
        W: { rows: fit.W.length / rank, cols: rank, data: fit.W },
        nIter: fit.nIter,
        reconstructionErr: fit.reconstructionErr,
        objective: fit.objective,
        stopReason: fit.converged ? 'tol' : 'maxIter',
        seed,
        online: fit.online,
      });
      return { H: { rows: rank, cols: H.length / rank, data: H } };
    }

    #keepPartial(generation: number, outcome: { fit: OnlineFit; cost: number }, seed: number | null): void {
      this.#keepOnline(generation, { fit: outcome.fit, H: new Float64Array(0) }, seed);
      LAST_CHUNKS.set(this, { cost: outcome.cost, samples: outcome.fit.online.samples });
    }

    /** The online settings of partialFit: those of solver 'minibatch', or the estimator's options read for it. */
    #partialSettings(): OnlineSettings {
      return this.#minibatch ?? onlineSettings(this.#checked, this.#options, 'options', true);
    }

    /**
     * The step of partialFit(chunk): the chunk checked against the model's K; for a model without online state, the
     * state to start from (a fitted model's W, else options.W or `init` on the first chunk through `initialize`).
     */
    #partialStart(
      chunk: unknown,
      options: unknown,
      names: readonly string[],
    ): { V: Chunk; settings: OnlineSettings; state?: Parameters<typeof partialFitOnline>[0]; W?: unknown } {
      const settings = this.#partialSettings();
      const given = options === undefined ? {} : readOptions('options', options, names);
      const fitted = this.#fitted;
      const V = readChunk('chunk', chunk, fitted?.W.rows);
      if (fitted?.online) return { V, settings, state: { W: Float64Array.from(fitted.W.data), ...fitted.online } };
      if (fitted) return { V, settings, state: startState(Float64Array.from(fitted.W.data), V.cols, settings) };
      return { V, settings, W: given.W };
    }

    #initOptions(W: unknown): NmfOptions {
      return { ...nmfOptionsOf(this.#options), ...(W !== undefined && { W }), maxIter: 0, spectralError: false } as NmfOptions;
    }

    #partialPlan(
      chunk: unknown,
      options: unknown,
      names: readonly string[],
      initialize: (V: Matrix | CsrMatrixInput, options: NmfOptions) => NmfResult,
    ): { steps: Steps<{ fit: OnlineFit; cost: number }>; seed: number | null } {
      const { V, settings, state, W } = this.#partialStart(chunk, options, names);
      const rank = this.#checked.rank!;
      if (state) return { steps: partialFitOnline(state, V, rank, settings), seed: this.#fitted!.seed };
      const init = initialize(chunkInput(V), this.#initOptions(W));
      const start = startState(init.W.data as Float64Array, V.cols, settings);
      return { steps: partialFitOnline(start, V, rank, settings), seed: init.seed };
    }

    async #partialPlanAsync(
      chunk: unknown,
      options: unknown,
      initialize: (V: Matrix | CsrMatrixInput, options: NmfOptions) => Promise<NmfResult>,
    ): Promise<{ steps: Steps<{ fit: OnlineFit; cost: number }>; seed: number | null }> {
      const { V, settings, state, W } = this.#partialStart(chunk, options, ['W', 'signal']);
      const rank = this.#checked.rank!;
      if (state) return { steps: partialFitOnline(state, V, rank, settings), seed: this.#fitted!.seed };
      const init = await initialize(chunkInput(V), this.#initOptions(W));
      const start = startState(init.W.data as Float64Array, V.cols, settings);
      return { steps: partialFitOnline(start, V, rank, settings), seed: init.seed };
    }

    /** transform's solve for a model the online solver made (scikit-learn's MiniBatchNMF.transform), else undefined. */
    #onlineTransform(V: unknown): { steps: Steps<Float64Array>; shape: { rows: number; cols: number } } | undefined {
      const fitted = this.#model('transform');
      if (!fitted.online) return undefined;
      const chunk = readChunk('V', V, fitted.W.rows);
      const rank = fitted.W.cols;
      const settings = this.#minibatch ?? onlineSettings(this.#checked, this.#options, 'options', true);
      return { steps: transformOnline(chunk, Float64Array.from(fitted.W.data), rank, settings), shape: { rows: rank, cols: chunk.cols } };
    }

    /**
     * What transform runs: V checked against the model (its rows are W's), and the options of the fit of H with W
     * fixed, H starting at √(mean(V)/R) everywhere (scikit-learn's transform for 'mu'). With all-zero components
     * every H gives W·H = 0, and H = 0 is returned without a fit (`H`).
     */
    #transformPlan(V: MatrixInput): { V: Matrix; options: NmfOptions; H?: Matrix<FactorArray> } {
      const { W } = this.#model('transform');
      const v = toMatrix('V', V);
      if (v.rows !== W.rows) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `V must have ${W.rows} rows, as the data the model was fitted to (components is ${W.rows}×${W.cols}: V's rows × rank), got ${v.rows}×${v.cols}`,
        );
      }
      const rank = W.cols;
      const dtype = this.#options.dtype;
      if (W.data.every((x) => x === 0))
        return { V: v, options: {}, H: inDtype({ rows: rank, cols: v.cols, data: new Float64Array(rank * v.cols) }, dtype) };
      let mean = 0;
      for (let k = 0; k < v.data.length; k++) mean += v.data[k]!;
      mean /= v.data.length;
      const H = { rows: rank, cols: v.cols, data: new Float64Array(rank * v.cols).fill(Math.sqrt(mean / rank)) };
      const shared = Object.fromEntries(
        Object.entries(nmfOptionsOf(this.#options)).filter(([key]) => !NOT_TRANSFORM_OPTIONS.includes(key)),
      );
      return { V: v, options: { ...shared, W, H, updateW: false, spectralError: false } as NmfOptions };
    }
  }

  Object.defineProperty(NMF, 'name', { value: 'NMF' });
  return NMF as unknown as NmfEstimatorClass;
}

/**
 * Reads a saved model (`toJSON()`'s data or its JSON text), checking every field and naming the bad one:
 * `make(options)` constructs the estimator (checking the options as the constructor does), `fill` gives it the
 * fitted state.
 */
function readModel<M>(json: unknown, make: (options: Record<string, unknown>) => M, fill: (model: M, fitted: Fitted) => M): M {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json) as unknown;
    } catch (cause) {
      throw rangeError('NMFKIT_INVALID_VALUE', `json is not JSON text: ${(cause as Error).message}`, { cause });
    }
  }
  if (value === null || typeof value !== 'object' || isArray(value)) {
    throw typeError(
      'NMFKIT_INVALID_TYPE',
      `json must be a model saved by NMF's toJSON() (an object, or its JSON text), got ${describe(value)}`,
    );
  }
  const fields = readOwnProperties('json', value);
  checkChoice('json.format', fields.format, [MODEL_FORMAT]);
  const version = checkCount('json.version', fields.version);
  if (version > MODEL_VERSION) {
    throw rangeError(
      'NMFKIT_MODEL_VERSION',
      `json.version is ${version}: the model was saved by a newer nmfkit, whose format this one (version ${MODEL_VERSION}) cannot read; upgrade nmfkit to load it`,
    );
  }
  const known = version === 1 ? MODEL_FIELDS_V1 : MODEL_FIELDS;
  for (const key of Reflect.ownKeys(fields)) {
    if (typeof key !== 'string' || !known.includes(key)) {
      throw typeError(
        'NMFKIT_INVALID_TYPE',
        `json has a field ${String(key)} that no model of version ${version} has (${known.join(', ')})`,
      );
    }
  }
  const { checked, options } = estimatorOptions(fields.options, 'json.options');
  const model = make(options);
  if (fields.components === null) {
    for (const key of ['nIter', 'reconstructionErr', 'objective', 'stopReason', 'seed', 'online']) {
      if (fields[key] !== null && fields[key] !== undefined) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `json.components is null (a model that is not fitted), but json.${key} is ${describe(fields[key])}: a model without components has no fit to report`,
        );
      }
    }
    return model;
  }
  const c = fields.components;
  if (c === null || typeof c !== 'object' || isArray(c)) {
    throw typeError('NMFKIT_INVALID_TYPE', `json.components must be W as { rows, cols, data } or null, got ${describe(c)}`);
  }
  const W = toMatrix('json.components', c);
  if (W.cols !== checked.rank) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `json.components.cols must be json.options.rank = ${checked.rank!} (W is K×rank), got ${W.rows}×${W.cols}`,
    );
  }
  const seed = fields.seed;
  if (seed !== null) {
    if (typeof seed !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `json.seed must be a safe integer or null, got ${describe(seed)}`);
    if (!Number.isSafeInteger(seed))
      throw rangeError('NMFKIT_INVALID_VALUE', `json.seed must be a safe integer or null, got ${describe(seed)}`);
  }
  return fill(model, {
    W: inDtype(W, checked.fields.dtype),
    nIter: checkCount('json.nIter', fields.nIter, true),
    reconstructionErr: checkNonNegative('json.reconstructionErr', fields.reconstructionErr),
    objective: checkNonNegative('json.objective', fields.objective),
    stopReason: checkChoice('json.stopReason', fields.stopReason, STOP_REASONS),
    seed,
    ...(fields.online !== undefined && fields.online !== null && { online: readOnlineState(fields.online, W.data.length) }),
  });
}

/** json.online: A and B (K×R entries each, finite, B > 0), rho in [0, 1], the counts. */
function readOnlineState(value: unknown, length: number): OnlineState {
  if (typeof value !== 'object' || value === null || isArray(value)) {
    throw typeError('NMFKIT_INVALID_TYPE', `json.online must be { A, B, rho, samples, steps } or null, got ${describe(value)}`);
  }
  const fields = readOptions('json.online', value, ONLINE_STATE_FIELDS) as Record<string, unknown>;
  const entries = (name: string, check: (entry: string, x: unknown) => number): Float64Array => {
    const list = fields[name];
    if (!isArray(list)) throw typeError('NMFKIT_INVALID_TYPE', `json.online.${name} must be an array of numbers, got ${describe(list)}`);
    const items = readArray(`json.online.${name}`, list, length);
    if (items.length !== length) {
      throw rangeError('NMFKIT_INVALID_VALUE', `json.online.${name} must have ${length} entries (K×R, as components), got ${items.length}`);
    }
    return Float64Array.from(items, (x, i) => check(`json.online.${name}[${i}]`, x));
  };
  return {
    A: entries('A', checkNonNegative),
    B: entries('B', checkPositive),
    rho: checkNonNegative('json.online.rho', fields.rho) <= 1 ? (fields.rho as number) : outOfRange('json.online.rho', fields.rho),
    samples: checkCount('json.online.samples', fields.samples, true),
    steps: checkCount('json.online.steps', fields.steps, true),
  };
}

function outOfRange(name: string, value: unknown): never {
  throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be in [0, 1], got ${describe(value)}`);
}
