/**
 * Options: defaults, validation, the fit specification and the initial factors. The result is a {@link FitPlan},
 * everything a driver needs, with private copies of every array.
 *
 * The options that set a field of the specification of the same name are checked declaratively, from that
 * field's row of FIT_SPEC_FIELDS (src/spec.ts): its constraint and its default. The rest (the loss and the
 * solver, which resolve into `beta` and `solver`; the arrays; the call's own options) are checked here, with the
 * rules that tie them together.
 */
import type { Backend, CsrPattern, FitProblem } from './contract.js';
import { csrRowOf, denseEntries, isCsrInput, toCsr, type CsrMatrix } from './csr.js';
import { initUsesSeed, randomFactors, randomScale, type InitMethod } from './init/index.js';
import { svdScale } from './init/nndsvd.js';
import type { FitInit } from './init/from-fit.js';
import { Random, randomSeed } from './random.js';
import { FIT_SPEC_FIELDS, type FitSpec, type SpecField } from './spec.js';
import { defaultErrorEvery } from './stop-rules.js';
import type { BackendName, FactorArray, IterationInfo, Matrix, NmfOptions } from './types.js';
import {
  checkChoice,
  checkCount,
  checkFitMemory,
  checkHistoryMemory,
  checkNonNegative,
  checkedSize,
  describe,
  isAbortSignal,
  isArray,
  readArray,
  readOptions,
  toMatrix,
} from './validate.js';
import { rangeError, typeError } from './errors.js';

/** Default `eps`: float32 machine epsilon, 2^-23, as in libfmp's `nmf`. */
export const DEFAULT_EPS = 2 ** -23;
export const DEFAULT_MAX_ITER = 1000;
export const DEFAULT_TOL = 1e-3;
/** The largest team `options.threads` asks for (native/team.h, kMaxTeamThreads). */
export const MAX_THREADS = 256;

/** The options of a call that are no field of the specification (the rest are FIT_SPEC_FIELDS rows with `option`). */
const CALL_OPTION_NAMES = [
  'maxIter',
  'W',
  'H',
  'seed',
  'init',
  'backend',
  'onIteration',
  'maxTime',
  'signal',
  'loss',
  'solver',
  'fixedColumnsW',
  'mask',
  'restarts',
  'observed',
] as const;

/** Every option nmf() takes: the call's own, then every specification field that an option sets, in table order. */
export const OPTION_NAMES: readonly string[] = [
  ...CALL_OPTION_NAMES,
  ...(FIT_SPEC_FIELDS as readonly SpecField[]).filter((field) => field.option !== undefined).map((field) => field.name),
];

/** A validated fit: the specification and arrays for the backend plus what the driver and the result need. */
export interface FitPlan {
  /** The resolved specification; `blockRows` and `threads` are resolved per backend and run by problemFor. */
  readonly spec: FitSpec;
  readonly maxIter: number;
  readonly backend: 'auto' | 'native' | 'wasm';
  /** The seed of the first run, or null when its initialisation used none. */
  readonly seed: number | null;
  /** Complete fits to run (restarts); the one with the lowest objective is kept. */
  readonly runs: number;
  /** `options.threads`, or undefined: the backend sizes the team from the cores it may use. */
  readonly threads: number | undefined;
  /**
   * The problem and seed of run `run` (0-based; seed + run) on `backend`, which sizes the fit's team (`threads`,
   * or from `availableThreads`, the cores this fit may use) and the fused sweep's blocks. Each call returns
   * private copies of V and the mask, since an async backend may transfer (detach) the arrays of the problem it
   * is given. `init`: the initialisation the fit computes from V before it starts (its factors in the problem are
   * placeholders until then; src/init/from-fit.ts).
   */
  problemFor(
    run: number,
    backend: Pick<Backend, 'blockRows' | 'teamSize'>,
    availableThreads: number,
  ): { readonly problem: FitProblem; readonly seed: number | null; readonly init: FitInit | undefined };
  readonly onIteration: ((info: IterationInfo) => boolean | void) | undefined;
  /** Time budget in ms, or undefined for none. */
  readonly maxTime: number | undefined;
  /** Cancels an async fit. */
  readonly signal: AbortSignal | undefined;
}

type OptionValue = number | boolean | string;

/**
 * The option of a specification field's name, checked against the field's constraint, or its default when it is
 * absent (undefined for a default the caller resolves).
 */
function specOption(o: NmfOptions, field: SpecField, prefix: string): OptionValue | undefined {
  const rule = field.option!;
  const value = (o as unknown as Record<string, unknown>)[field.name];
  if (value === undefined) return rule.default === 'resolved' ? undefined : rule.default;
  const name = `${prefix}.${field.name}`;
  const constraint = rule.constraint;
  switch (constraint.kind) {
    case 'count':
      return checkCount(name, value, constraint.min === 0);
    case 'nonNegative':
      return checkNonNegative(name, value);
    case 'finite':
      if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(value)}`);
      if (!Number.isFinite(value)) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a finite number, got ${describe(value)}`);
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a boolean, got ${describe(value)}`);
      return value;
    case 'choice':
      return checkChoice(name, value, field.values!);
  }
}

/** Every specification field that an option sets, read from the options in table order. */
function specOptions(o: NmfOptions, prefix: string): Partial<Record<keyof FitSpec, OptionValue>> {
  const values: Partial<Record<keyof FitSpec, OptionValue>> = {};
  for (const field of FIT_SPEC_FIELDS as readonly SpecField[]) {
    if (!field.option) continue;
    const value = specOption(o, field, prefix);
    if (value !== undefined) values[field.name as keyof FitSpec] = value;
  }
  return values;
}

/**
 * How a plan holds V. 'sync': for a fit that starts at once on the calling thread, whose backend copies V into its
 * own memory before any code of the user's runs, so that the caller's Float64Array or Float32Array can be checked
 * and handed over without a copy of its own. 'async': V is copied before the call returns (the caller may change it
 * at once), into memory from `allocate` when given.
 */
export type VStorage =
  | { readonly mode: 'sync' }
  | {
      readonly mode: 'async';
      /** The allocation for the copies of V and the mask, given the call's `backend` option (runtime.ts, matrixAllocator). */
      readonly allocatorFor?: (requested: 'auto' | BackendName) => ((length: number) => Float64Array) | undefined;
    };

/**
 * An allocation function that never throws: `allocate`'s array, or an ordinary one when it fails (out of its
 * memory: the ordinary allocation then says so in the usual way).
 */
function fallibleAllocation(allocate: ((length: number) => Float64Array) | undefined): ((length: number) => Float64Array) | undefined {
  if (!allocate) return undefined;
  return (length) => {
    try {
      return allocate(length);
    } catch {
      return new Float64Array(length);
    }
  };
}

/**
 * The options of a call as {@link checkOptions} found them: every value that can be checked without V, checked and
 * resolved (defaults applied); the rest (the factors, the mask, the rank's agreement with them) is V's business.
 */
export interface CheckedOptions {
  /** The own options, each read once. */
  readonly o: NmfOptions;
  /** `rank` when given (it may also come from W or H, read with V). */
  readonly rank: number | undefined;
  readonly maxIter: number;
  /** The specification fields an option sets, checked against their FIT_SPEC_FIELDS rows (or their defaults). */
  readonly fields: Partial<Record<keyof FitSpec, OptionValue>>;
  readonly threads: number | undefined;
  readonly backend: 'auto' | BackendName;
  readonly maxTime: number | undefined;
  readonly init: InitMethod;
  /** β of the loss. */
  readonly beta: number;
  readonly solver: 'mu' | 'hals';
  /** options.observed: whether a CSR V's absent entries are zeros ('all') or missing ('stored'). */
  readonly observed: 'all' | 'stored';
  /** Complete fits (restarts). */
  readonly runs: number;
}

/**
 * Reads and checks an options object as far as it can be checked without V: the option names (`known`, default
 * every option of nmf), each value against its rule (the specification table's constraints, src/spec.ts), and the
 * rules that tie the options together. Messages name the options `${name}.key`. Used by {@link planFit} and by
 * the estimator and rank estimation (src/estimator.ts, src/rank.ts), which check their options before any data.
 */
export function checkOptions(
  options: unknown,
  name = 'options',
  known: readonly string[] = OPTION_NAMES,
  expectation = 'an object with at least { rank }',
): CheckedOptions {
  // Each option read once; a getter or proxy trap that throws is a TypeError naming the option.
  const o = readOptions(name, options, known, expectation) as unknown as NmfOptions;
  const rank = o.rank === undefined ? undefined : checkCount(`${name}.rank`, o.rank);
  const maxIter = o.maxIter === undefined ? DEFAULT_MAX_ITER : checkCount(`${name}.maxIter`, o.maxIter, true);
  const fields = specOptions(o, name);
  const { threads, backend, maxTime } = checkCallOptions(o, name, fields.threads as number | undefined);
  const init = o.init === undefined ? 'random' : checkChoice(`${name}.init`, o.init, INIT_METHODS);

  const beta = lossBeta(o.loss, name);
  const solver = o.solver === undefined ? 'mu' : checkChoice(`${name}.solver`, o.solver, ['mu', 'hals'] as const);
  if (solver === 'hals' && beta !== 2) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}.solver 'hals' is for the Euclidean loss only, got loss ${describe(o.loss)} (use solver 'mu')`,
    );
  }
  if (!fields.updateW && !fields.updateH)
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}.updateW and ${name}.updateH are both false: the fit would learn nothing`);
  const masked = o.mask !== undefined;
  if (masked && solver === 'hals')
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}.mask needs solver 'mu' (HALS takes no weights: docs/algorithms.md §5)`);
  // What a CSR V's absent entries are ('stored': missing); that it needs a CSR V is checked with V (resolveSpec).
  const observed = o.observed === undefined ? 'all' : checkChoice(`${name}.observed`, o.observed, ['all', 'stored'] as const);
  if (observed === 'stored' && solver === 'hals')
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}.observed 'stored' needs solver 'mu' (HALS takes no weights: docs/algorithms.md §5)`);
  // The ratio form of MU (a loss other than Euclidean, a mask, or a CSR V's absent entries missing) divides by W·H
  // floored at eps.
  const weighted = masked || observed === 'stored';
  if (solver === 'mu' && (beta !== 2 || weighted)) {
    const eps = fields.eps as number;
    const why = masked ? 'a mask' : weighted ? `${name}.observed 'stored'` : `loss β = ${beta}`;
    if (eps === 0) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.eps must be > 0 with ${why}: it is the floor of W·H where the updates divide by it (docs/algorithms.md §1)`,
      );
    }
    if (fields.dtype === 'float32' && Math.fround(eps) === 0) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `${name}.eps = ${eps} is 0 in float32 (${name}.dtype 'float32'), and ${why} needs eps > 0: ` +
          'use eps ≥ 1.5e-45 (the smallest float32), or dtype float64',
      );
    }
  }

  const runs = o.restarts === undefined ? 1 : checkCount(`${name}.restarts`, o.restarts);
  if (runs > 1 && ((o.W !== undefined && o.H !== undefined) || !initUsesSeed(init))) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}.restarts = ${runs} needs an initialisation that uses the seed ('random', 'random-scaled' or 'nndsvdar', ` +
        `and not both W and H given): otherwise every run would be the same`,
    );
  }
  return { o, rank, maxIter, fields, threads, backend, maxTime, init, beta, solver, observed, runs };
}

/** The options of a call, as every fit function (nmf, nmfd) takes them. */
export interface CallOptions {
  readonly threads?: unknown;
  readonly backend?: unknown;
  readonly onIteration?: unknown;
  readonly maxTime?: unknown;
  readonly signal?: unknown;
  readonly seed?: unknown;
}

/**
 * Checks the options that say how a fit runs rather than what it computes (the team, the backend, the callback,
 * the time budget, the signal, the seed), the same for every fit function. `threads`: options.threads already read
 * as a count (or undefined).
 */
export function checkCallOptions(
  o: CallOptions,
  name: string,
  threads: number | undefined,
): { threads: number | undefined; backend: 'auto' | BackendName; maxTime: number | undefined } {
  if (threads !== undefined && threads > MAX_THREADS) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}.threads must be at most ${MAX_THREADS}, got ${threads}`);
  }
  const backend = o.backend === undefined ? 'auto' : checkChoice(`${name}.backend`, o.backend, ['auto', 'native', 'wasm'] as const);
  if (o.onIteration !== undefined && typeof o.onIteration !== 'function') {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.onIteration must be a function, got ${describe(o.onIteration)}`);
  }
  const maxTime = o.maxTime === undefined ? undefined : checkNonNegative(`${name}.maxTime`, o.maxTime);
  if (o.signal !== undefined && !isAbortSignal(o.signal)) {
    throw typeError('NMFKIT_INVALID_TYPE', `${name}.signal must be an AbortSignal, got ${describe(o.signal)}`);
  }
  if (o.seed !== undefined) {
    if (typeof o.seed !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name}.seed must be a number, got ${describe(o.seed)}`);
    if (!Number.isSafeInteger(o.seed))
      throw rangeError('NMFKIT_INVALID_VALUE', `${name}.seed must be a safe integer, got ${describe(o.seed)}`);
  }
  return { threads, backend, maxTime };
}

/** Validates V and the options and builds the plan. Throws TypeError/RangeError naming what is wrong. */
export function planFit(V: unknown, options: unknown, storage: VStorage = { mode: 'async' }): FitPlan {
  return planChecked(V, checkOptions(options), storage);
}

/**
 * {@link planFit} with options that {@link checkOptions} has checked: fits of one batch share one check of their
 * options, and only V and what depends on it are checked per fit.
 */
export function planChecked(V: unknown, checked: CheckedOptions, storage: VStorage = { mode: 'async' }): FitPlan {
  const { o, maxIter, threads, backend, maxTime, init, runs } = checked;
  // NaN marks a missing entry of V; it is allowed only where the mask is 0 (checked below, once the mask is read),
  // and turned into 0 there, so V with a mask is always copied. So is V of a fit with restarts, whose later runs
  // start after the caller's callbacks ran.
  const masked = o.mask !== undefined;
  const allocate = storage.mode === 'async' ? fallibleAllocation(storage.allocatorFor?.(backend)) : undefined;
  // A CSR V keeps its stored values as v.data (nnz of them) beside its pattern; nothing K×N is made — unless the fit
  // needs every entry anyway (expandsDensely), when V becomes the dense V with the same entries, once the fit's
  // memory is checked.
  const given = isCsrInput(V) ? toCsr('V', V) : undefined;
  const csr = given && !expandsDensely(checked) ? given : undefined;
  // A synchronous single run without a mask borrows the caller's V, a Float32Array as well: its backend copies V (in
  // the fit's dtype) while the fit is created, before any code of the caller's runs.
  const borrow = storage.mode === 'sync' && !masked && runs === 1;
  const dense = given
    ? undefined
    : toMatrix('V', V, undefined, { allowNaN: masked }, { borrow, borrowFloat32: true, ...(storage.mode === 'async' && { allocate }) });
  const shape = given ?? dense!;

  // The rank: options.rank, or inferred from a given W (its columns) or H (its rows), which are then read here.
  const inferred = checked.rank === undefined && (o.W !== undefined || o.H !== undefined) ? inferRank(o, shape) : undefined;
  const rank = inferred ? inferred.rank : (checked.rank ?? checkCount('options.rank', o.rank));
  if (init.startsWith('nndsvd') && rank > Math.min(shape.rows, shape.cols)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.init '${init}' needs rank ≤ min(rows, cols) of V = ${Math.min(shape.rows, shape.cols)}, got rank ${rank} (use 'random' or 'random-scaled')`,
    );
  }

  checkedSize('W', shape.rows, rank);
  checkedSize('H', rank, shape.cols);
  checkFitMemory(shape.rows, shape.cols, rank, masked, csr?.nnz);
  const v: Matrix<FactorArray> = csr
    ? { rows: csr.rows, cols: csr.cols, data: csr.data }
    : given
      ? { rows: given.rows, cols: given.cols, data: denseEntries(given, 'V', allocate) }
      : dense!;
  const { spec, mask, fixedColumnsW } = resolveSpec(checked, v, rank, allocate, csr, given !== undefined);
  checkHistoryMemory(maxIter, v.rows, v.cols, rank, spec.masked, csr?.nnz);
  // A synchronous single run reads the given factors only while its fit is created, so it borrows them as it does V.
  const factorStorage = { borrow: storage.mode === 'sync' && runs === 1 };
  const givenW = inferred
    ? inferred.W
    : o.W === undefined
      ? undefined
      : toMatrix('options.W', o.W, { rows: v.rows, cols: rank, why: 'rows of V × rank' }, {}, factorStorage);
  const givenH = inferred
    ? inferred.H
    : o.H === undefined
      ? undefined
      : toMatrix('options.H', o.H, { rows: rank, cols: v.cols, why: 'rank × columns of V' }, {}, factorStorage);
  checkNotAllZero(v.data, givenW, givenH);

  const firstSeed = givenW && givenH ? null : (o.seed ?? randomSeed());
  if (firstSeed !== null && firstSeed > Number.MAX_SAFE_INTEGER - (runs - 1)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.seed + options.restarts − 1 = ${BigInt(firstSeed) + BigInt(runs - 1)} is not a safe integer`,
    );
  }

  // A single run may hand over the validated arrays themselves; with restarts every run gets private copies, since
  // an async backend may transfer (detach) the arrays of the problem it is given.
  const own = <A extends FactorArray | Int32Array>(a: A): A => (runs > 1 ? (a.slice() as A) : a);
  const pattern = (c: CsrMatrix): CsrPattern => ({ indptr: own(c.indptr), indices: own(c.indices) });
  const fused = spec.solver === 'mu-euclidean' && spec.updateW && spec.updateH && spec.storage === 'dense';
  // The first run's factors are made now (the plan reports its seed); later runs' when they start.
  const factorsOf = (run: number): { W: Float64Array; H: Float64Array; seedUsed: number | null; init: FitInit | undefined } => {
    const seed = firstSeed === null ? null : firstSeed + run;
    const made = initialFactors(v, rank, givenW, givenH, seed, init, spec.dtype);
    return { ...made, W: givenW ? own(made.W) : made.W, H: givenH ? own(made.H) : made.H };
  };
  const first = factorsOf(0);

  return {
    spec,
    maxIter,
    backend,
    seed: first.seedUsed,
    runs,
    threads,
    problemFor: (run, on, availableThreads) => {
      const { W, H, seedUsed, init: fitInit } = run === 0 ? first : factorsOf(run);
      const team = on.teamSize(spec, threads ?? availableThreads, threads !== undefined);
      const blockRows = fused ? on.blockRows({ ...spec, threads: team }) : 0;
      const problem: FitProblem = {
        spec: { ...spec, blockRows, threads: team },
        V: own(v.data),
        W,
        H,
        mask: mask ? own(mask) : null,
        pattern: csr ? pattern(csr) : null,
        fixedColumnsW: fixedColumnsW.slice(),
      };
      return { problem, seed: seedUsed, init: fitInit };
    },
    onIteration: o.onIteration,
    maxTime,
    signal: o.signal,
  };
}

/**
 * The rank of a fit without options.rank, from the factors given: W's columns or H's rows (both, when both are
 * given: they must agree). The factors are read and their other side checked against V.
 */
function inferRank(
  o: NmfOptions,
  v: { readonly rows: number; readonly cols: number },
): { rank: number; W: Matrix | undefined; H: Matrix | undefined } {
  const W = o.W === undefined ? undefined : toMatrix('options.W', o.W);
  if (W && W.rows !== v.rows) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.W must have ${v.rows} rows (the rows of V; its columns give the rank, options.rank being absent), got ${W.rows}×${W.cols}`,
    );
  }
  const H = o.H === undefined ? undefined : toMatrix('options.H', o.H);
  if (H && H.cols !== v.cols) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.H must have ${v.cols} columns (the columns of V; its rows give the rank, options.rank being absent), got ${H.rows}×${H.cols}`,
    );
  }
  if (W && H && W.cols !== H.rows) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.W (${W.rows}×${W.cols}) and options.H (${H.rows}×${H.cols}) disagree on the rank: options.W has ${W.cols} columns, ` +
        `options.H has ${H.rows} rows (give factors of one rank, or options.rank)`,
    );
  }
  return { rank: W ? W.cols : H!.rows, W, H };
}

/**
 * Refuses a given factor that is all zero while V has a nonzero entry (as scikit-learn refuses a custom init "full
 * of zeros"): the multiplicative updates multiply each entry by a ratio, so an all-zero factor stays all zero and
 * the fit returns W·H = 0 whatever V is; for HALS it is a start without information. For V = 0, W = H = 0 is the
 * exact solution and stays accepted.
 */
function checkNotAllZero(V: FactorArray, W: Matrix | undefined, H: Matrix | undefined): void {
  if (!W?.data.every(isZero) && !H?.data.every(isZero)) return;
  if (!V.some((x) => x > 0)) return;
  const name = W?.data.every(isZero) ? 'options.W' : 'options.H';
  throw rangeError(
    'NMFKIT_INVALID_VALUE',
    `${name} is all zero while V has a nonzero entry: the multiplicative updates can never leave an all-zero factor ` +
      `(W·H would stay 0), and for HALS it is a start without information; give a factor with a positive entry, or ` +
      `leave ${name} out and let options.init make it`,
  );
}

const isZero = (x: number): boolean => x === 0;

const LOSSES = ['euclidean', 'kl', 'is'] as const;
const BETA_OF = { euclidean: 2, kl: 1, is: 0 } as const;

/** β from options.loss: a name or a finite number. */
function lossBeta(loss: unknown, name: string): number {
  if (loss === undefined) return 2;
  const expected = `${name}.loss must be 'euclidean', 'kl', 'is' or a finite number β, got ${describe(loss)}`;
  if (typeof loss === 'number') {
    if (!Number.isFinite(loss)) throw rangeError('NMFKIT_INVALID_VALUE', expected);
    return loss;
  }
  if (typeof loss === 'string') {
    if (!(LOSSES as readonly string[]).includes(loss)) throw rangeError('NMFKIT_INVALID_VALUE', expected);
    return BETA_OF[loss as (typeof LOSSES)[number]];
  }
  throw typeError('NMFKIT_INVALID_TYPE', expected);
}

/**
 * The specification from the checked options (checkOptions), V and the rank, with the rules that tie them to V
 * (docs/algorithms.md). Writes 0 into V where it holds NaN (allowed only where the mask is 0).
 */
function resolveSpec(
  { o, fields, beta, solver: solverOption, observed }: CheckedOptions,
  v: Matrix<FactorArray>,
  rank: number,
  allocate: ((length: number) => Float64Array) | undefined,
  csr: CsrMatrix | undefined,
  csrInput: boolean,
): { spec: FitSpec; mask: Float64Array | undefined; fixedColumnsW: Uint8Array } {
  const { rows: K, cols: N } = v;
  checkObserved(o, observed, csr, fields.spectralError);
  const updateH = fields.updateH as boolean;
  const fixedColumnsW = o.fixedColumnsW === undefined ? new Uint8Array(rank) : checkFixedColumns(o.fixedColumnsW, rank);
  if (o.fixedColumnsW !== undefined && !updateH && fixedColumnsW.every((f) => f === 1)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      'options.fixedColumnsW fixes every column of W and options.updateH is false: the fit would learn nothing',
    );
  }
  let mask: Float64Array | undefined;
  if (o.mask !== undefined) {
    mask = toMatrix('options.mask', o.mask, { rows: K, cols: N, why: 'the shape of V' }, {}, { allocate }).data;
    for (let k = 0; k < mask.length; k++) {
      if (mask[k]! > 1) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `options.mask entries must lie in [0, 1], but options.mask entry ${k} (row ${Math.floor(k / N)}, column ${k % N}) is ${mask[k]}`,
        );
      }
    }
  }
  // Missing entries: NaN in V where the mask is 0 becomes 0 (the kernels never read V where the mask is 0). Without
  // a mask V holds no NaN (toMatrix).
  for (let k = 0; mask && k < v.data.length; k++) {
    const x = v.data[k]!;
    if (x !== x) {
      if (mask![k] !== 0) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `V holds NaN at entry ${k} (row ${Math.floor(k / N)}, column ${k % N}) where options.mask is ${mask![k]}: NaN marks a missing entry and needs mask 0 there`,
        );
      }
      v.data[k] = 0;
    }
  }
  if (beta <= 0 && csr) {
    // Observed 'stored' (a CSR V kept sparse with β ≤ 0): only its stored entries are observed.
    const p = csr.data.indexOf(0);
    if (p >= 0) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `V.data[${p}] (row ${csrRowOf(csr.indptr, p)}, column ${csr.indices[p]}) is 0, where the β = ${beta} divergence is infinite (loss ${describe(o.loss)} needs the observed entries > 0)`,
      );
    }
  } else if (beta <= 0) {
    for (let k = 0; k < v.data.length; k++) {
      if (v.data[k] === 0 && (!mask || mask[k]! > 0)) {
        throw rangeError(
          'NMFKIT_INVALID_VALUE',
          `V has a zero at entry ${k} (row ${Math.floor(k / N)}, column ${k % N}), where the β = ${beta} divergence is infinite (loss ${describe(o.loss)} needs V > 0, or mask 0 there)`,
        );
      }
    }
  }
  const masked = mask !== undefined || observed === 'stored';
  const solver = solverOption === 'hals' ? 'hals' : beta === 2 && !masked ? 'mu-euclidean' : 'mu-beta';
  // Every field an option sets comes from the table (its value or its default); the rest is resolved here. The two
  // are merged with Object.assign: `fields` is built by computed keys, and V8 defined each literal property after a
  // spread of it through a runtime call, about 12 µs per plan (PERFORMANCE.md).
  const spec = Object.assign({}, fields, {
    rows: K,
    cols: N,
    rank,
    solver,
    storage: csr ? 'csr' : 'dense',
    nnz: csr ? csr.nnz : 0,
    masked,
    blockRows: 0,
    threads: 1,
    beta,
    errorEvery: (fields.errorEvery as number | undefined) ?? defaultErrorEvery(beta, masked),
    templateFrames: 1,
    // A CSR V's residual is never formed (K×N), so its spectral norm is not computed (checkObserved refuses asking).
    // A CSR V's spectral error is off unless asked for (then V was expanded densely).
    spectralError: csrInput && o.spectralError === undefined ? false : fields.spectralError,
  }) as FitSpec;
  return { spec, mask, fixedColumnsW };
}

/**
 * Whether a CSR V (absent entries zeros) is fitted as the dense V with its entries: for a β other than Euclidean
 * and KL, whose updates need W·H at every entry (K·N·R work an iteration either way), and for a spectral error,
 * the norm of the K×N residual (docs/sparse.md). A mask is refused for a CSR V either way.
 */
function expandsDensely({ o, beta, observed }: CheckedOptions): boolean {
  return observed === 'all' && o.mask === undefined && (o.spectralError === true || (beta !== 2 && beta !== 1));
}

/**
 * options.observed, and what a CSR V allows (docs/sparse.md): 'all' (the default: absent entries are zeros) or
 * 'stored' (absent entries are missing: the mask is the pattern), for a CSR V only and with the rules of a mask
 * (solver 'mu', here without a spectral error, whose masked residual is never formed).
 * A CSR V takes no options.mask. `csr` is the CSR V kept sparse (not one expanded densely).
 */
function checkObserved(o: NmfOptions, observed: 'all' | 'stored', csr: CsrMatrix | undefined, spectralError: unknown): void {
  if (!csr) {
    if (observed === 'stored')
      throw rangeError('NMFKIT_INVALID_VALUE', "options.observed 'stored' needs a CSR V (for a dense V, give options.mask)");
    return;
  }
  if (o.mask !== undefined)
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      "options.mask does not go with a CSR V: its missing entries are its absent ones (options.observed 'stored')",
    );
  if (o.spectralError === true || (o.spectralError !== undefined && spectralError === true))
    throw rangeError('NMFKIT_INVALID_VALUE', "options.spectralError is not available with observed 'stored' on a CSR V");
}

/** fixedColumnsW: distinct integers in [0, rank), as R flags; `prefix` names the options object in messages. */
export function checkFixedColumns(value: unknown, rank: number, prefix = 'options'): Uint8Array {
  if (!isArray(value))
    throw typeError('NMFKIT_INVALID_TYPE', `${prefix}.fixedColumnsW must be an array of column indices, got ${describe(value)}`);
  const entries = readArray(`${prefix}.fixedColumnsW`, value, rank);
  const flags = new Uint8Array(rank);
  entries.forEach((c, i) => {
    const name = `${prefix}.fixedColumnsW[${i}]`;
    if (typeof c !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name} must be a number, got ${describe(c)}`);
    if (!Number.isInteger(c) || c < 0 || c >= rank)
      throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be an integer in [0, rank − 1 = ${rank - 1}], got ${describe(c)}`);
    if (flags[c]) throw rangeError('NMFKIT_INVALID_VALUE', `${name} = ${c} is listed twice`);
    flags[c] = 1;
  });
  return flags;
}

const INIT_METHODS: readonly InitMethod[] = ['random', 'random-scaled', 'nndsvd', 'nndsvda', 'nndsvdar'];

/**
 * The initial factors. A factor the caller gave is used as is. `'random'` is the reference initialisation: U[0,1)
 * entries, W0 (K×R, row-major) drawn first, then H0 (R×N), a given factor taking no draws. 'random-scaled' is
 * made here too; the NNDSVD variants are computed by the fit itself from its copy of V (src/init/from-fit.ts):
 * their factors here are zeros until then, and `init` says how. `seed` is reported only when the method used it.
 */
function initialFactors(
  v: Matrix<FactorArray>,
  rank: number,
  givenW: Matrix | undefined,
  givenH: Matrix | undefined,
  seed: number | null,
  init: InitMethod,
  dtype: FitSpec['dtype'],
): { W: Float64Array; H: Float64Array; seedUsed: number | null; init: FitInit | undefined } {
  if (seed === null) return { W: givenW!.data, H: givenH!.data, seedUsed: null, init: undefined };
  const seedUsed = initUsesSeed(init) ? seed : null;
  if (init === 'random') {
    const random = new Random(seed);
    const W = givenW ? givenW.data : random.fill(new Float64Array(v.rows * rank));
    const H = givenH ? givenH.data : random.fill(new Float64Array(rank * v.cols));
    return { W, H, seedUsed, init: undefined };
  }
  if (init === 'random-scaled') {
    // The scale is V's mean over its K·N entries: a CSR V's stored values count its absent zeros too.
    const made = randomFactors(v.rows, v.cols, rank, seed, randomScale(v.data, rank, v.rows * v.cols));
    return { W: givenW?.data ?? made.W!, H: givenH?.data ?? made.H!, seedUsed, init: undefined };
  }
  return {
    W: givenW?.data ?? new Float64Array(v.rows * rank),
    H: givenH?.data ?? new Float64Array(rank * v.cols),
    seedUsed,
    // The given factors again, in copies of their own: an async backend may transfer the problem's arrays.
    init: {
      method: init,
      seed,
      rows: v.rows,
      cols: v.cols,
      rank,
      givenW: givenW?.data.slice(),
      givenH: givenH?.data.slice(),
      // A float32 fit's V has no entries small enough to need it (below 2^-149 they round to 0).
      scale: dtype === 'float32' ? 1 : svdScale(v.data),
    },
  };
}
