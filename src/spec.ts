/**
 * The fit specification: every value a kernel reads, resolved and explicit, described once in
 * {@link FIT_SPEC_FIELDS}.
 *
 * The facade resolves a call's options into one {@link FitSpec} (src/options.ts) and hands it to a backend beside
 * the fit's arrays. Both backends receive it the same way: {@link encodeSpec} writes one float64 slot per field,
 * in table order. scripts/generate-spec.mjs turns this table into the kernels' view of it at build time:
 * `native/spec.h` (the struct `nmf::FitSpec`, its enums and `readSpec`) and `assembly/spec.ts` (the class
 * `FitSpec`, its constants and the same `readSpec`). So a new field is one row here plus the kernel code that
 * uses it, and, when it is also an option of the same name, its constraint and default are that row's `option`.
 *
 * This file imports nothing: the generator loads it on its own.
 */

/**
 * A declared constraint on a value, in the spirit of scikit-learn's `_parameter_constraints`; src/options.ts
 * checks it and words the error. 'count': an integer in [min, 2^31 − 1]; 'nonNegative': a finite number ≥ 0;
 * 'finite': any finite number; 'boolean'; 'choice': one of the field's `values`.
 */
export type Constraint =
  | { readonly kind: 'count'; readonly min: 0 | 1 }
  | { readonly kind: 'nonNegative' }
  | { readonly kind: 'finite' }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'choice' };

/** How a user option of the field's name sets it: its constraint, and its default when the option is absent. */
export interface OptionRule {
  readonly constraint: Constraint;
  /** The value when the option is absent; 'resolved': src/options.ts derives it from the other fields. */
  readonly default: number | boolean | string | 'resolved';
}

/** One field of the specification. */
export interface SpecField {
  readonly name: string;
  /**
   * How the kernels store it: 'size' an integer count (C++ std::size_t, AssemblyScript i32), 'real' a float64,
   * 'boolean', 'choice' an enum over `values` (C++ enum class, AssemblyScript i32 constants), by index.
   */
  readonly type: 'size' | 'real' | 'boolean' | 'choice';
  readonly values?: readonly string[];
  /** Present when a user option of the same name sets this field. */
  readonly option?: OptionRule;
  readonly doc: string;
}

const count1 = { kind: 'count', min: 1 } as const;
const nonNegative = { kind: 'nonNegative' } as const;
const choice = { kind: 'choice' } as const;
const boolean = { kind: 'boolean' } as const;

/**
 * Every field of the specification, in slot order (the slot of a field is its index here). docs/kernels.md
 * explains how each solver uses them.
 */
export const FIT_SPEC_FIELDS = [
  { name: 'rows', type: 'size', doc: 'K: rows of V and W.' },
  { name: 'cols', type: 'size', doc: 'N: columns of V and H.' },
  { name: 'rank', type: 'size', option: { constraint: count1, default: 'resolved' }, doc: 'R: columns of W, rows of H.' },
  {
    name: 'dtype',
    type: 'choice',
    values: ['float64', 'float32'],
    option: { constraint: choice, default: 'float64' },
    doc: 'The element type V, W, H and the work buffers are stored and multiplied in.',
  },
  {
    name: 'solver',
    type: 'choice',
    values: ['mu-euclidean', 'mu-beta', 'hals', 'nmfd'],
    doc: 'The iteration (docs/kernels.md): MU for β = 2 from Grams, MU for any β or a mask from W·H, HALS, or NMFD (convolutive, KL).',
  },
  {
    name: 'storage',
    type: 'choice',
    values: ['dense', 'csr'],
    doc: "How V comes: 'dense' K×N row-major; 'csr' its nnz stored entries with the pattern (indptr K + 1, indices nnz), absent entries zero, or missing when masked (docs/sparse.md).",
  },
  { name: 'nnz', type: 'size', doc: "'csr': the entries V stores; 0 for 'dense' (which stores K·N)." },
  {
    name: 'masked',
    type: 'boolean',
    doc: "Whether some entries are missing: 'dense' with a mask (weights in [0, 1], 0 = missing) among the arrays; 'csr' the absent entries (observed 'stored').",
  },
  {
    name: 'blockRows',
    type: 'size',
    doc: 'Rows of V per block of the fused MU Euclidean sweep; 0: the iteration that reads V twice.',
  },
  {
    name: 'threads',
    type: 'size',
    option: { constraint: count1, default: 'resolved' },
    doc: "Threads of the fit's team: each product and update is split over them (docs/kernels.md); on the WebAssembly backend the leader and its helper workers (1 on the calling thread).",
  },
  { name: 'beta', type: 'real', doc: 'β of the β-divergence: 2 Euclidean, 1 Kullback–Leibler, 0 Itakura–Saito.' },
  {
    name: 'eps',
    type: 'real',
    option: { constraint: nonNegative, default: 2 ** -23 },
    doc: 'Added to every MU denominator; the floor of W·H where a loss divides by it.',
  },
  { name: 'tol', type: 'real', option: { constraint: nonNegative, default: 1e-3 }, doc: 'Tolerance of the stop rule.' },
  { name: 'l1W', type: 'real', option: { constraint: nonNegative, default: 0 }, doc: 'L1 penalty weight on W.' },
  { name: 'l2W', type: 'real', option: { constraint: nonNegative, default: 0 }, doc: 'L2 penalty weight on W.' },
  { name: 'l1H', type: 'real', option: { constraint: nonNegative, default: 0 }, doc: 'L1 penalty weight on H.' },
  { name: 'l2H', type: 'real', option: { constraint: nonNegative, default: 0 }, doc: 'L2 penalty weight on H.' },
  { name: 'updateW', type: 'boolean', option: { constraint: boolean, default: true }, doc: 'false: W is never updated.' },
  { name: 'updateH', type: 'boolean', option: { constraint: boolean, default: true }, doc: 'false: H is never updated.' },
  {
    name: 'stop',
    type: 'choice',
    values: ['change', 'objective', 'none', 'relativeChange'],
    option: { constraint: choice, default: 'change' },
    doc: "The stop rule: both change norms below tol, relative decrease of the objective below tol, never, or each updated factor's relative Frobenius change at most tol.",
  },
  {
    name: 'errorEvery',
    type: 'size',
    option: { constraint: count1, default: 'resolved' },
    doc: 'The objective is evaluated after every errorEvery-th iteration.',
  },
  {
    name: 'normalize',
    type: 'choice',
    values: ['none', 'max', 'l1', 'l2'],
    option: { constraint: choice, default: 'none' },
    doc: 'How finish rescales the learned columns of W (and the rows of H against them).',
  },
  {
    name: 'spectralError',
    type: 'boolean',
    option: { constraint: boolean, default: true },
    doc: "Whether finish computes ‖V − W·H‖₂ (Lanczos on the residual: tens of passes over it); false: the result's spectralError is NaN.",
  },
  {
    name: 'halsSweeps',
    type: 'size',
    option: { constraint: count1, default: 1 },
    doc: 'Solver hals: the most sweeps of each half-step over the same products (accelerated HALS, Gillis & Glineur 2012); 1: plain HALS.',
  },
  {
    name: 'halsSweepTol',
    type: 'real',
    option: { constraint: nonNegative, default: 0.01 },
    doc: "Solver hals: a half-step's next sweep runs only while the last one changed the factor by at least this fraction of the first one's change (Frobenius norms).",
  },
  {
    name: 'templateFrames',
    type: 'size',
    doc: 'Solver nmfd: T, the frames of each template (W is T stacked K×R matrices); 1 for every other solver.',
  },
  {
    name: 'halsOrder',
    type: 'choice',
    values: ['w-first', 'h-first'],
    option: { constraint: choice, default: 'w-first' },
    doc: "Solver hals: the factor each iteration updates first: W (scikit-learn's cd on V as its X) or H (its cd on X = Vᵀ, the NMF estimator's orientation).",
  },
] as const satisfies readonly SpecField[];

type Field = (typeof FIT_SPEC_FIELDS)[number];
type ValueOf<F> = F extends { readonly type: 'choice'; readonly values: readonly (infer V)[] }
  ? V
  : F extends { readonly type: 'boolean' }
    ? boolean
    : number;

/** The resolved specification of one fit: every field of {@link FIT_SPEC_FIELDS}, explicit. */
export type FitSpec = { readonly [F in Field as F['name']]: ValueOf<F> };

/** The value type of one field. */
export type SpecValue<K extends keyof FitSpec> = FitSpec[K];

export type Dtype = FitSpec['dtype'];
export type Solver = FitSpec['solver'];
export type StopRule = FitSpec['stop'];
export type Normalize = FitSpec['normalize'];

/** Slots of an encoded specification. */
export const SPEC_SLOTS = FIT_SPEC_FIELDS.length;

/**
 * The specification as the kernels read it: one float64 per field, in table order (choices by index), written into
 * `slots` (a fresh array unless given) and returned.
 */
export function encodeSpec(spec: FitSpec, slots = new Float64Array(SPEC_SLOTS)): Float64Array {
  FIT_SPEC_FIELDS.forEach((field, i) => {
    const value = spec[field.name];
    if (field.type === 'choice') slots[i] = (field.values as readonly string[]).indexOf(value as string);
    else if (field.type === 'boolean') slots[i] = value ? 1 : 0;
    else slots[i] = value as number;
  });
  return slots;
}

/**
 * The name of the first slot that is no valid encoding of its field (a size that is not an integer in [0, 2^53],
 * a choice index out of range, a boolean other than 0 or 1), or null: what native/spec.h's specSlotError checks,
 * for the WebAssembly glue. It guards memory safety only: the facade has validated the values themselves.
 */
export function specSlotError(slots: Float64Array): string | null {
  if (slots.length !== SPEC_SLOTS) return 'length';
  for (let i = 0; i < SPEC_SLOTS; i++) {
    const field = FIT_SPEC_FIELDS[i]!;
    const x = slots[i]!;
    const valid =
      field.type === 'size'
        ? Number.isInteger(x) && x >= 0 && x <= 2 ** 53
        : field.type === 'choice'
          ? Number.isInteger(x) && x >= 0 && x < field.values.length
          : field.type === 'boolean'
            ? x === 0 || x === 1
            : true;
    if (!valid) return field.name;
  }
  return null;
}

/**
 * The specification a rows×cols rank-`rank` fit resolves to with every option at its default — libfmp-compatible
 * MU: solver 'mu-euclidean', β = 2, no mask, errorEvery 1, and each optional field its table default — with
 * `changes` applied. For callers below the facade (tests, the benchmark, the memory checks), which build
 * specifications without options.
 */
export function defaultSpec(rows: number, cols: number, rank: number, changes: Partial<FitSpec> = {}): FitSpec {
  const defaults: Record<string, unknown> = {
    solver: 'mu-euclidean',
    storage: 'dense',
    nnz: 0,
    masked: false,
    blockRows: 0,
    threads: 1,
    beta: 2,
    errorEvery: 1,
    templateFrames: 1,
  };
  for (const field of FIT_SPEC_FIELDS as readonly SpecField[]) {
    if (field.option && field.option.default !== 'resolved') defaults[field.name] = field.option.default;
  }
  return { ...(defaults as unknown as FitSpec), rows, cols, rank, ...changes };
}
