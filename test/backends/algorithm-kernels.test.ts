/**
 * The iteration kernels of docs/algorithms.md on both backends, called through the Backend contract
 * (src/contract.ts) instead of the facade: KernelFit.run in chunks of a case's size (1 to 50 steps),
 * converged(), finish(), and AsyncKernelFit (native: the libuv pool; wasm: the worker pool; both: the inline
 * slicer over a sync fit).
 *
 * One case table — every loss with MU (penalties, update flags, fixed columns, masks, every stop rule, errorEvery,
 * normalisation), HALS, long runs that stop by tolerance, maxIter 0 (finish without run), the fused sweep in blocks
 * of 4 and 7 rows with penalties, fixed columns and stop 'objective' — on 12×9 R3 and 30×20 R4 (and MU β on
 * 45×8193 R3 and 2×8193 R2, where its ratio form runs in several blocks of rows), and:
 *  - each backend against test/reference/fit.ts to 1e-9 relative: W, H, the change norms, the checkpoint
 *    objectives (NaN between checkpoints), objective, initialObjective, spectral and Frobenius errors, iterations,
 *    converged(); run() writes nothing past the iterations it ran and returns fewer steps only when it converged;
 *  - float32 (the stop-'none' cases, 20 iterations on 30×20) against the same reference at float32 accuracy;
 *  - native ≡ wasm, float64 and float32;
 *  - the async paths equal to the sync fit bit for bit, in other chunk sizes.
 *
 * test/algorithms.test.ts checks the same algorithms through nmfSync/nmf (and the properties the reference cannot
 * show); the backends' refusal of malformed specifications is in test/hostile/native-glue.test.ts and
 * test/hostile/wasm-backend.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { AsyncKernelFit, Dtype, FitProblem, FitSpec, KernelResult } from '../../src/contract.js';
import type { BackendName } from '../../src/index.js';
import { chooseBackend } from '../../src/entry/node.js';
import { inlineAsyncFit } from '../../src/backends/wasm-inline.js';
import { defaultSpec } from '../../src/spec.js';
import { Random } from '../../src/random.js';
import { BACKENDS, backendAvailable, relativeError } from '../support/helpers.js';
import { defaultErrorEvery, fit as referenceFit, type FitOptions } from '../reference/fit.js';
import { frobeniusNorm, mat, mul, spectralNorm, sub, type Mat } from '../reference/linalg.js';
import { betaOf, DEFAULT_EPS } from '../reference/objective.js';

// ---------------------------------------------------------------------------------------------------------------
// The cases.

/** 'binary': a quarter zeros, else ones; 'fractional': a fifth zeros, 30 % weights in (0.2, 0.5), else ones. */
type MaskKind = 'binary' | 'fractional' | 'ones';

interface Case {
  name: string;
  o: Omit<FitOptions, 'mask'> & { mask?: MaskKind };
  /** Steps per run() call; 7 when absent. */
  chunk?: number;
  /** Forces the fused sweep (FitSpec.blockRows) with blocks of this many rows. */
  blockRows?: number;
  /** Also run through the async paths. */
  async?: boolean;
}

const LOSSES: FitOptions['loss'][] = ['euclidean', 'kl', 'is', 0.5, 1.5, 3, 0.7, -0.5];
const PENALTIES = { l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 };

const CASES: Case[] = [
  ...LOSSES.flatMap((loss): Case[] => [
    { name: `mu ${loss}`, o: { loss, maxIter: 40, stop: 'none', errorEvery: 3 } },
    { name: `mu ${loss}, l1`, o: { loss, maxIter: 40, stop: 'none', l1W: 0.05, l1H: 0.1, errorEvery: 1 } },
    { name: `mu ${loss}, l2`, o: { loss, maxIter: 40, stop: 'none', l2W: 0.2, l2H: 0.1, errorEvery: 10 } },
    { name: `mu ${loss}, l1 and l2`, o: { loss, maxIter: 40, stop: 'none', ...PENALTIES, errorEvery: 3 } },
    { name: `mu ${loss}, updateW false, normalize max`, o: { loss, maxIter: 30, stop: 'none', updateW: false, normalize: 'max' } },
    {
      name: `mu ${loss}, updateH false, normalize l1`,
      o: { loss, maxIter: 30, stop: 'none', updateH: false, errorEvery: 3, normalize: 'l1' },
    },
    {
      name: `mu ${loss}, fixed column 1, normalize l2`,
      o: { loss, maxIter: 30, stop: 'none', fixedColumnsW: [1], errorEvery: 1, normalize: 'l2' },
    },
    { name: `mu ${loss}, stop objective`, o: { loss, maxIter: 50, stop: 'objective', tol: 1e-3, errorEvery: 3 } },
    { name: `mu ${loss}, stop change`, o: { loss, maxIter: 50, stop: 'change', tol: 2e-2, errorEvery: 10 } },
    // The online solver's activation solve: H alone, until its relative change is at most tol.
    {
      name: `mu ${loss}, updateW false, stop relativeChange`,
      o: { loss, maxIter: 200, stop: 'relativeChange', tol: 1e-3, updateW: false, errorEvery: 201 },
      chunk: 200,
    },
    { name: `mu ${loss}, stop relativeChange`, o: { loss, maxIter: 200, stop: 'relativeChange', tol: 5e-3, errorEvery: 10 } },
    // The facade allows a mask with β ∈ {1, 2} only; the kernels implement the general formulas (§3) anyway.
    { name: `mu ${loss}, fractional mask`, o: { loss, maxIter: 40, stop: 'none', mask: 'fractional', errorEvery: 1 } },
    {
      name: `mu ${loss}, fractional mask, l1W, l2H, fixed column 0, normalize l1`,
      o: { loss, maxIter: 40, stop: 'none', mask: 'fractional', l1W: 0.01, l2H: 0.1, fixedColumnsW: [0], errorEvery: 3, normalize: 'l1' },
    },
  ]),
  { name: 'mu euclidean, binary mask', o: { maxIter: 40, stop: 'none', mask: 'binary', errorEvery: 1 } },
  { name: 'mu kl, binary mask', o: { loss: 'kl', maxIter: 40, stop: 'none', mask: 'binary', errorEvery: 1 } },
  { name: 'mu euclidean, mask of ones', o: { maxIter: 40, stop: 'none', mask: 'ones', errorEvery: 1 } },
  { name: 'libfmp-compatible MU (stop change, default errorEvery), normalize max', o: { maxIter: 50, tol: 1e-2, normalize: 'max' } },
  { name: 'normalize max, l1W, l2H', o: { maxIter: 30, stop: 'none', l1W: 0.1, l2H: 0.1, errorEvery: 10, normalize: 'max' } },
  { name: 'kl, normalize l2, errorEvery 7', o: { loss: 'kl', maxIter: 30, stop: 'none', errorEvery: 7, normalize: 'l2' } },
  { name: 'hals', o: { solver: 'hals', maxIter: 40, stop: 'none', errorEvery: 1 } },
  { name: 'hals, l1 and l2', o: { solver: 'hals', maxIter: 40, stop: 'none', ...PENALTIES, errorEvery: 3 } },
  {
    name: 'hals, l1 and l2, fixed columns 0 and 2, normalize l2',
    o: { solver: 'hals', maxIter: 40, stop: 'none', ...PENALTIES, fixedColumnsW: [0, 2], errorEvery: 10, normalize: 'l2' },
  },
  {
    name: 'hals, fixed columns 0 and 2, normalize max',
    o: { solver: 'hals', maxIter: 40, stop: 'none', fixedColumnsW: [0, 2], errorEvery: 1, normalize: 'max' },
  },
  { name: 'hals, updateW false', o: { solver: 'hals', maxIter: 30, stop: 'none', updateW: false, errorEvery: 1 } },
  { name: 'hals, updateH false, l1W', o: { solver: 'hals', maxIter: 30, stop: 'none', updateH: false, l1W: 0.3, errorEvery: 1 } },
  { name: 'hals, l1 zeroing some rows', o: { solver: 'hals', maxIter: 30, stop: 'none', l1W: 0.5, l1H: 1.5, errorEvery: 1 } },
  { name: 'hals, l1 zeroing every row', o: { solver: 'hals', maxIter: 30, stop: 'none', l1W: 5, l1H: 30, errorEvery: 1 } },
  { name: 'hals, stop objective', o: { solver: 'hals', maxIter: 50, stop: 'objective', tol: 1e-4, errorEvery: 1 }, async: true },
  // Long runs in chunks of 50 that stop by tolerance.
  { name: 'hals, stop change', o: { solver: 'hals', maxIter: 400, tol: 2e-2, errorEvery: 5 }, chunk: 50 },
  { name: 'hals, stop relativeChange', o: { solver: 'hals', maxIter: 200, stop: 'relativeChange', tol: 1e-3 }, chunk: 50 },
  {
    name: 'hals, updateW false, stop relativeChange',
    o: { solver: 'hals', maxIter: 200, stop: 'relativeChange', tol: 1e-4, updateW: false },
    async: true,
  },
  { name: 'mu kl, stop relativeChange, tol 0', o: { loss: 'kl', maxIter: 30, stop: 'relativeChange', tol: 0 } },
  {
    name: 'mu euclidean, fractional mask, updateW false, stop relativeChange',
    o: { maxIter: 200, stop: 'relativeChange', tol: 1e-3, mask: 'fractional', updateW: false },
  },
  { name: 'hals, 4 sweeps', o: { solver: 'hals', maxIter: 30, stop: 'none', halsSweeps: 4, errorEvery: 1 } },
  {
    name: 'hals, 3 sweeps until 0.3, l1 and l2, fixed column 1',
    o: { solver: 'hals', maxIter: 30, stop: 'none', halsSweeps: 3, halsSweepTol: 0.3, ...PENALTIES, fixedColumnsW: [1], errorEvery: 2 },
  },
  { name: 'hals, 5 sweeps, updateH false', o: { solver: 'hals', maxIter: 20, stop: 'none', halsSweeps: 5, updateH: false } },
  { name: 'hals, H first', o: { solver: 'hals', maxIter: 30, stop: 'none', halsOrder: 'h-first', errorEvery: 1 } },
  {
    name: 'hals, H first, 3 sweeps, penalties, fixed column 1, errorEvery 3',
    o: { solver: 'hals', maxIter: 30, stop: 'none', halsOrder: 'h-first', halsSweeps: 3, ...PENALTIES, fixedColumnsW: [1], errorEvery: 3 },
  },
  {
    name: 'hals, H first, updateH false',
    o: { solver: 'hals', maxIter: 20, stop: 'none', halsOrder: 'h-first', updateH: false, errorEvery: 1 },
  },
  {
    name: 'hals, H first, updateW false',
    o: { solver: 'hals', maxIter: 20, stop: 'none', halsOrder: 'h-first', updateW: false, errorEvery: 1 },
  },
  { name: 'mu euclidean, stop change', o: { maxIter: 400, tol: 2e-2, errorEvery: 5 }, chunk: 50 },
  { name: 'mu is, stop objective', o: { loss: 'is', maxIter: 400, stop: 'objective', tol: 1e-4 }, chunk: 50 },
  {
    name: 'mu kl, stop objective, errorEvery 4',
    o: { loss: 'kl', maxIter: 100, stop: 'objective', tol: 1e-3, errorEvery: 4 },
    chunk: 9,
    async: true,
  },
  {
    name: 'mu kl, fractional mask, penalties, stop change',
    o: {
      loss: 'kl',
      maxIter: 300,
      stop: 'change',
      tol: 2e-2,
      mask: 'fractional',
      l1W: 0.01,
      l2W: 0.02,
      l2H: 0.1,
      errorEvery: 3,
      normalize: 'l1',
    },
    chunk: 50,
    async: true,
  },
  {
    name: 'mu euclidean, fractional mask, penalties, stop objective',
    o: { maxIter: 300, stop: 'objective', tol: 1e-3, mask: 'fractional', l1W: 0.01, l2W: 0.02, l2H: 0.1, errorEvery: 3, normalize: 'l1' },
    chunk: 50,
    async: true,
  },
  // maxIter 0: finish without any run.
  { name: 'maxIter 0, normalize max', o: { maxIter: 0, normalize: 'max' } },
  { name: 'maxIter 0, β 0.5, l1W, l2H, normalize max', o: { loss: 0.5, maxIter: 0, l1W: 0.1, l2H: 0.2, normalize: 'max' } },
  { name: 'maxIter 0, hals, updateH false, l2W, normalize l1', o: { solver: 'hals', maxIter: 0, updateH: false, l2W: 1, normalize: 'l1' } },
  { name: 'maxIter 0, fused, l1H, normalize l1', o: { maxIter: 0, l1H: 0.5, normalize: 'l1' }, blockRows: 4 },
  // The fused sweep: the Gram form (β = 2, no mask) with penalties and fixed columns; KL falls back to products.
  ...[4, 7].flatMap((blockRows): Case[] => [
    { name: `fused ${blockRows}, seed`, o: { maxIter: 40, stop: 'none', errorEvery: 1 }, blockRows, chunk: 5 },
    { name: `fused ${blockRows}, l1 and l2`, o: { maxIter: 40, stop: 'none', ...PENALTIES, errorEvery: 3 }, blockRows, chunk: 5 },
    {
      name: `fused ${blockRows}, l1 and l2, fixed column 1, normalize l2`,
      o: { maxIter: 40, stop: 'none', ...PENALTIES, fixedColumnsW: [1], errorEvery: 3, normalize: 'l2' },
      blockRows,
      async: blockRows === 4,
    },
    { name: `fused ${blockRows}, stop objective`, o: { maxIter: 50, stop: 'objective', tol: 1e-4, errorEvery: 2 }, blockRows, chunk: 1 },
    { name: `fused ${blockRows}, stop relativeChange`, o: { maxIter: 200, stop: 'relativeChange', tol: 2e-3 }, blockRows, chunk: 3 },
    { name: `fused ${blockRows}, kl`, o: { loss: 'kl', maxIter: 40, stop: 'none', errorEvery: 10 }, blockRows },
  ]),
];

const SHAPES: [number, number, number][] = [
  [12, 9, 3],
  [30, 20, 4],
];

// MU β forms Λ = W·H, P and Q by blocks of rows (native/fit.cc, assembly/fit.ts: ratioBlockRows, about 1 MiB and
// at least 16 rows), which the shapes above fit in one of. Here V is wide enough (N = 8193: blocks of 16 rows) that
// K = 45 makes several blocks, the last one short, which teams of 2 and 3 split unevenly; K = 2 on a team
// of 3 leaves a member without rows. N is odd, so that blocks hold an odd number of entries (the vector loops'
// tails). Three iterations of the cases below, every loss's powers, masks, penalties and update flags among them.
const BLOCK_SHAPES: [number, number, number][] = [
  [45, 8193, 3],
  [2, 8193, 2],
];
const BLOCK_CASES = [
  ...LOSSES.filter((loss) => loss !== 'euclidean').flatMap((loss) => [
    `mu ${loss}, l1`,
    `mu ${loss}, fractional mask, l1W, l2H, fixed column 0, normalize l1`,
  ]),
  'mu kl, l2',
  'mu is, updateW false, normalize max',
  'mu 0.5, updateH false, normalize l1',
  'mu euclidean, binary mask',
  'mu kl, binary mask',
].map((name) => {
  const c = CASES.find((x) => x.name === name)!;
  return { ...c, name: `${c.name}, by blocks`, o: { ...c.o, maxIter: 3 } };
});

// ---------------------------------------------------------------------------------------------------------------
// Problems, runs and the one comparison.

interface Problem {
  V: Mat;
  W0: Mat;
  H0: Mat;
  mask?: Mat;
}

/** A seeded K×N problem; V is 0 where the mask is (as the facade writes it). */
function makeProblem([K, N, R]: [number, number, number], kind?: MaskKind): Problem {
  const random = new Random(K * 1000 + N + R);
  const uniform = (rows: number, cols: number, low: number) =>
    mat(
      rows,
      cols,
      Array.from({ length: rows * cols }, () => low + random.nextDouble()),
    );
  const V = uniform(K, N, 0.05);
  const W0 = uniform(K, R, 0.1);
  const H0 = uniform(R, N, 0.1);
  if (!kind) return { V, W0, H0 };
  const mask = mat(
    K,
    N,
    Array.from({ length: K * N }, () => {
      const u = random.nextDouble();
      return kind === 'ones' ? 1 : kind === 'binary' ? Number(u >= 0.25) : u < 0.2 ? 0 : u < 0.5 ? u : 1;
    }),
  );
  mask.data.forEach((m, k) => m === 0 && (V.data[k] = 0));
  return { V, W0, H0, mask };
}

/** The reference's options for a case on a problem. */
function referenceOptions(c: Case, p: Problem): FitOptions {
  return { ...c.o, mask: p.mask };
}

/** A FitProblem with fresh copies of every array (createAsyncFit may detach them). */
function fitProblem(c: Case, p: Problem, dtype: Dtype, threads = 1): FitProblem {
  const o = referenceOptions(c, p);
  const fixed = new Uint8Array(p.W0.cols);
  for (const r of o.fixedColumnsW ?? []) fixed[r] = 1;
  const beta = betaOf(o.loss ?? 'euclidean');
  const solver = o.solver === 'hals' ? 'hals' : beta === 2 && !p.mask ? 'mu-euclidean' : 'mu-beta';
  const spec: FitSpec = defaultSpec(p.V.rows, p.V.cols, p.W0.cols, {
    dtype,
    solver,
    masked: p.mask !== undefined,
    blockRows: c.blockRows ?? 0,
    threads,
    beta,
    eps: o.eps ?? DEFAULT_EPS,
    tol: o.tol ?? 1e-3,
    l1W: o.l1W ?? 0,
    l2W: o.l2W ?? 0,
    l1H: o.l1H ?? 0,
    l2H: o.l2H ?? 0,
    updateW: o.updateW ?? true,
    updateH: o.updateH ?? true,
    stop: o.stop ?? 'change',
    errorEvery: o.errorEvery ?? defaultErrorEvery(o),
    normalize: o.normalize ?? 'none',
    halsSweeps: o.halsSweeps ?? 1,
    halsSweepTol: o.halsSweepTol ?? 0.01,
    halsOrder: o.halsOrder ?? 'w-first',
  });
  return {
    spec,
    V: p.V.data.slice(),
    W: p.W0.data.slice(),
    H: p.H0.data.slice(),
    mask: p.mask ? p.mask.data.slice() : null,
    fixedColumnsW: fixed,
  };
}

/** Everything a fit reports, from a backend or from the reference. */
interface Run {
  iterations: number;
  converged: boolean;
  hChange: Float64Array;
  wChange: Float64Array;
  /** F after each iteration: its value at checkpoints, NaN between them. */
  checkpoints: Float64Array;
  W: Float64Array | Float32Array;
  H: Float64Array | Float32Array;
  objective: number;
  initialObjective: number;
  spectralError: number;
  frobeniusError: number;
}

function referenceRun(c: Case, p: Problem): Run {
  const o = referenceOptions(c, p);
  const ref = referenceFit(p.V, p.W0, p.H0, o);
  const every = o.errorEvery ?? defaultErrorEvery(o);
  const checkpoints = new Float64Array(ref.iterations).fill(NaN);
  for (const { iteration, value } of ref.history) if (iteration > 0 && iteration % every === 0) checkpoints[iteration - 1] = value;
  // With a mask the errors are of M ⊙ (V − W·H): the residual where V was observed, weighted as in the objective.
  const residual = sub(p.V, mul(ref.W, ref.H));
  if (o.mask) residual.data.forEach((e, k) => (residual.data[k] = e * o.mask!.data[k]!));
  return {
    iterations: ref.iterations,
    converged: ref.stopReason === 'tol',
    hChange: Float64Array.from(ref.hChange),
    wChange: Float64Array.from(ref.wChange),
    checkpoints,
    W: ref.W.data,
    H: ref.H.data,
    objective: ref.objective,
    initialObjective: ref.history[0]!.value,
    spectralError: spectralNorm(residual),
    frobeniusError: frobeniusNorm(residual),
  };
}

/** KernelFit and AsyncKernelFit, seen alike. */
interface Stepper {
  run(steps: number, hChange: Float64Array, wChange: Float64Array, offset: number, objective: Float64Array): number | Promise<number>;
  converged(): boolean;
  finish(): KernelResult | Promise<KernelResult>;
  dispose(): void;
}

const stepperOf = (fit: AsyncKernelFit): Stepper => ({
  run: (...args) => fit.runAsync(...args),
  converged: () => fit.converged(),
  finish: () => fit.finishAsync(),
  dispose: () => fit.dispose(),
});

const UNWRITTEN = -1;

/**
 * Runs a fit to the case's maxIter in chunks, as the facade's driver does, then finishes and disposes it. Checks
 * the contract on the way: converged() false before the first run, fewer steps than asked only when converged,
 * nothing written past the last iteration run.
 */
async function drive(fit: Stepper, c: Case, chunk = c.chunk ?? 7): Promise<Run> {
  const { maxIter } = c.o;
  const [h, w, f] = [0, 1, 2].map(() => new Float64Array(maxIter).fill(UNWRITTEN)) as [Float64Array, Float64Array, Float64Array];
  expect(fit.converged()).toBe(false);
  let done = 0;
  while (done < maxIter) {
    const steps = Math.min(chunk, maxIter - done);
    const ran = await fit.run(steps, h, w, done, f);
    done += ran;
    if (fit.converged()) break;
    expect(ran).toBe(steps);
  }
  const converged = done > 0 && fit.converged();
  const result = await fit.finish();
  fit.dispose();
  for (const a of [h, w, f]) expect(a.subarray(done).every((x) => x === UNWRITTEN)).toBe(true);
  return { ...result, iterations: done, converged, hChange: h.slice(0, done), wChange: w.slice(0, done), checkpoints: f.slice(0, done) };
}

/** Every number of two runs within `tol` relative (0: equal); iterations, converged() and checkpoints alike. */
function expectClose(got: Run, want: Run, tol: number): void {
  expect(got.iterations).toBe(want.iterations);
  expect(got.converged).toBe(want.converged);
  expect(Array.from(got.checkpoints, Number.isNaN)).toEqual(Array.from(want.checkpoints, Number.isNaN));
  const values = (r: Run) => r.checkpoints.filter((x) => !Number.isNaN(x));
  const errors = {
    W: relativeError(got.W, want.W),
    H: relativeError(got.H, want.H),
    hChange: relativeError(got.hChange, want.hChange),
    wChange: relativeError(got.wChange, want.wChange),
    checkpoints: relativeError(values(got), values(want)),
    objective: relativeError([got.objective], [want.objective]),
    initialObjective: relativeError([got.initialObjective], [want.initialObjective]),
    spectralError: relativeError([got.spectralError], [want.spectralError]),
    frobeniusError: relativeError([got.frobeniusError], [want.frobeniusError]),
  };
  expect(Object.entries(errors).filter(([, e]) => !(e <= tol))).toEqual([]);
}

// ---------------------------------------------------------------------------------------------------------------
// The runs: every case on both shapes in float64; the stop-'none' cases in float32 on 30×20 for 20 iterations
// (float32 can flip a stop decision; it must land within float32 rounding of the float64 reference).

interface Spec {
  label: string;
  c: Case;
  p: Problem;
  dtype: Dtype;
  /** Against the reference, and between the backends. */
  tol: { reference: number; agreement: number };
}

const FLOAT64 = { reference: 1e-9, agreement: 1e-12 };
const FLOAT32 = { reference: 1e-4, agreement: 1e-4 };

const SPECS: Spec[] = [
  ...[...CASES.map((c) => [c, SHAPES] as const), ...BLOCK_CASES.map((c) => [c, BLOCK_SHAPES] as const)].flatMap(([c, shapes]) =>
    shapes.map((shape): Spec => ({
      label: `${c.name}, ${shape.join('×')}`,
      c,
      p: makeProblem(shape, c.o.mask),
      dtype: 'float64',
      tol: FLOAT64,
    })),
  ),
  ...CASES.filter((c) => c.o.stop === 'none').map((c): Spec => {
    const short = { ...c, o: { ...c.o, maxIter: Math.min(c.o.maxIter, 20) } };
    return { label: `float32: ${c.name}, 30×20×4`, c: short, p: makeProblem([30, 20, 4], c.o.mask), dtype: 'float32', tol: FLOAT32 };
  }),
];

const referenceRuns = new Map<Spec, Run>();
const referenceOf = (s: Spec): Run => referenceRuns.get(s) ?? referenceRuns.set(s, referenceRun(s.c, s.p)).get(s)!;

const syncRun = (backend: BackendName, s: Spec, threads = 1): Promise<Run> =>
  drive(chooseBackend(backend).createFit(fitProblem(s.c, s.p, s.dtype, threads)), s.c);

// ---------------------------------------------------------------------------------------------------------------

describe.each(BACKENDS)('%s kernels', (backend) => {
  const available = backendAvailable(backend);

  it.skipIf(!available).each(SPECS.map((s) => [s.label, s] as const))('%s, against the reference', async (_label, s) => {
    expectClose(await syncRun(backend, s), referenceOf(s), s.tol.reference);
  });

  const asyncPaths: [string, (p: FitProblem) => AsyncKernelFit][] = [
    [backend === 'native' ? 'libuv pool' : 'worker pool', (p) => chooseBackend(backend).createAsyncFit(p)],
    ['inline', (p) => inlineAsyncFit(chooseBackend(backend).createFit(p))],
  ];
  const asyncSpecs = SPECS.filter((s) => s.c.async && s.dtype === 'float64');
  it.skipIf(!available).each(asyncPaths.flatMap(([path, create]) => asyncSpecs.map((s) => [s.label, path, s, create] as const)))(
    '%s: async (%s) = sync, bit for bit, in chunks of 17',
    async (_label, _path, s, create) => {
      expectClose(await drive(stepperOf(create(fitProblem(s.c, s.p, s.dtype))), s.c, 17), await syncRun(backend, s), 0);
    },
  );
});

describe.skipIf(!BACKENDS.every(backendAvailable))('native ≡ wasm', () => {
  it.each(SPECS.map((s) => [s.label, s] as const))('%s', async (_label, s) => {
    expectClose(await syncRun('native', s), await syncRun('wasm', s), s.tol.agreement);
  });
  it.each(SPECS.map((s) => [s.label, s] as const))('%s, native on a team of 2', async (_label, s) => {
    expectClose(await syncRun('native', s, 2), await syncRun('wasm', s), s.tol.agreement);
  });
});

// A native fit on a team (FitSpec.threads): every entry computed as on one thread, the divergence's partial sums
// added in member order; the same bits on every run with the same team, async as sync.
describe.skipIf(!backendAvailable('native'))('native teams', () => {
  it.each(SPECS.flatMap((s) => [2, 3].map((t) => [s.label, t, s] as const)))(
    '%s, %i threads: as 1 thread, the same twice',
    async (_label, t, s) => {
      const team = await syncRun('native', s, t);
      expectClose(team, await syncRun('native', s, 1), s.tol.agreement);
      expectClose(await syncRun('native', s, t), team, 0);
    },
  );
  const asyncSpecs = SPECS.filter((s) => s.c.async && s.dtype === 'float64');
  it.each(asyncSpecs.map((s) => [s.label, s] as const))('%s, 2 threads on the libuv pool = sync', async (_label, s) => {
    const fit = stepperOf(chooseBackend('native').createAsyncFit(fitProblem(s.c, s.p, s.dtype, 2)));
    expectClose(await drive(fit, s.c, 17), await syncRun('native', s, 2), 0);
  });
});
