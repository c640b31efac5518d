/**
 * Property-based tests (fast-check) over random problems: shapes 1–64 on each side, ranks 1–70, densities from
 * all-zero V to dense, all-zero rows and columns, magnitudes from subnormal through 1e-300 … 1e300 to the largest
 * double, every accepted input form, both backends and every dtype the facade accepts.
 *
 * What must hold for every case:
 *  - a fit returns finite, nonnegative W and H of the right shapes, finite errors and one pair of change norms per
 *    iteration — or, when the numbers cannot be computed (overflow, or 0/0 with eps = 0), it fails with the
 *    RangeError of result.ts's rule; it must fail when V's entries are so large that their squares overflow (and
 *    it runs an iteration), and must succeed when they are moderate and eps > 0, however small (underflow is not
 *    an error);
 *  - the caller's arrays are unchanged, byte for byte;
 *  - native ≡ wasm: the same numbers to 1e-9 relative (float64), or the dtype's tolerance;
 *  - the reported errors are those of the returned factors, and spectral ≤ Frobenius ≤ √min(K, N)·spectral;
 *  - the Euclidean objective ‖V − WH‖_F² never increases from one iteration to the next, beyond a stated
 *    allowance (see {@link allowance});
 *  - nmf (async) gives exactly nmfSync's result, and rejects (never throws) where nmfSync throws.
 *
 * And for the algorithm options of docs/algorithms.md (loss, solver, penalties, updateW/updateH, fixedColumnsW, mask,
 * stop, errorEvery, normalize), in random combinations on problems 1–24 a side, ranks 1–8, magnitudes 1e-3 … 1e3:
 *  - a result as §1–§8 describe it (finite factors ≥ 0, objective = F of the returned factors, the history's
 *    checkpoints, the stop rule, normalisation, zeros of W0/H0 kept by MU, factors and columns not learned returned
 *    bit for bit) — or the RangeError the docs prescribe; the caller's V, W, H and mask unchanged;
 *  - native ≡ wasm (HALS in float32: only F(W0, H0); see compareOptionResults);
 *  - the objective history never rises by more than 1e-12·F(W0, H0) (every case of §2.1 is monotone).
 *
 * Reproducible: fast-check runs from a fixed seed (NMFKIT_FC_SEED overrides it; NMFKIT_FC_RUNS scales the number
 * of runs), and a failure reports the seed, the shrunk counterexample and the command to rerun it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPS, nmf, nmfSync, type BackendName, type MatrixInput, type NmfOptions, type NmfResult } from '../../src/index.js';
import { Random } from '../../src/random.js';
import type { Loss } from '../../src/types.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';
import { mat } from '../reference/linalg.js';
import { normalizeReference, type FitOptions } from '../reference/fit.js';
import { betaOf, objective } from '../reference/objective.js';

const SEED = Number(process.env.NMFKIT_FC_SEED ?? 20251128);
const RUN_SCALE = Number(process.env.NMFKIT_FC_RUNS ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * RUN_SCALE));

/** fc.assert from the fixed seed; a failure says how to reproduce it. */
function check<T>(property: fc.IProperty<[T]> | fc.IAsyncProperty<[T]>, numRuns: number): void | Promise<void> {
  const fail = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n\nReproduce: NMFKIT_FC_SEED=${SEED} npx vitest run test/property.test.ts`, { cause: error });
  };
  try {
    const done = fc.assert(property as fc.IProperty<[T]>, { seed: SEED, numRuns: runs(numRuns) }) as unknown;
    if (done instanceof Promise) return done.catch(fail);
  } catch (error) {
    fail(error);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Precisions. Each dtype says how exactly the backends agree, how large a rounding allowance the objective gets,
// and where the overflow rule must and must not fire.

type Dtype = 'float64' | 'float32';

interface Precision {
  /** Unit roundoff of the dtype's arithmetic. */
  readonly unit: number;
  /** Relative agreement of native and wasm on every returned array. */
  readonly agree: number;
  /** Largest |V| for which a fit with eps > 0 must succeed. */
  readonly safeMax: number;
  /**
   * |V| from which every fit of at least one iteration must fail: the first H update makes H ~ V / W, and HHᵀ then
   * overflows whatever W0 and H0. (With no iteration, whether the residual's norms overflow is up to the kernel.)
   */
  readonly overflowMin: number;
  /** Exponent range of the magnitudes the objective test draws (fits that succeed). */
  readonly moderate: readonly [number, number];
  /**
   * Absolute accuracy of the reported errors where squares underflow: float64 squares underflow below ~1e-154, so an
   * error norm of data that small may come out as 0 (well within 1e-150); float32's do below ~1e-19.
   */
  readonly tiny: number;
  /**
   * Smallest max |V| for which native ≡ wasm is checked to `agree`. float32: 2^-63 ≈ 1.1e-19, whose square is
   * float32's smallest normal number — below it every product of two entries of V's scale (H·Hᵀ, W·H·Hᵀ) is
   * subnormal and carries fewer bits than the 1e-4 agreement (seen: 4.1e-4 on W at max |V| = 1e-20, K 46, N 63,
   * R 20). float64 needs no such limit: its subnormals start at 2.2e-308, and `discrepancy` forgives 2^-1000.
   */
  readonly agreeMin: number;
  /** V as the fit stores it (float32 fits round it once, when they start). */
  readonly stored: (values: Float64Array) => Float64Array;
}

const PRECISIONS: Record<Dtype, Precision> = {
  float64: {
    unit: 2 ** -53,
    agree: 1e-9,
    safeMax: 1e100,
    overflowMin: 1e170,
    moderate: [-100, 100],
    tiny: 1e-150,
    agreeMin: 0,
    stored: (v) => v,
  },
  // float32: V, W and H are stored and multiplied in float32 (NmfOptions.dtype); squares overflow from ~1.8e19.
  float32: {
    unit: 2 ** -24,
    agree: 1e-4,
    safeMax: 1e9,
    overflowMin: 1e25,
    moderate: [-12, 12],
    tiny: 1e-17,
    agreeMin: 2 ** -63,
    stored: (v) => Float64Array.from(v, Math.fround),
  },
};

/** Why a dtype cannot be tested on a backend (the facade or the backend does not accept it yet), or undefined. */
function unsupported(dtype: Dtype, backend: BackendName): string | undefined {
  if (dtype === 'float64') return undefined;
  try {
    nmfSync({ rows: 1, cols: 1, data: [1] }, { rank: 1, dtype, backend, maxIter: 1 } as NmfOptions);
    return undefined;
  } catch (error) {
    return `dtype '${dtype}' is not supported on ${backend} yet: ${(error as Error).message}`;
  }
}

const available = BACKENDS.filter((b) => backendAvailable(b));

// ---------------------------------------------------------------------------------------------------------------
// Cases: parameters fast-check can shrink (sizes towards 1, magnitudes towards 1e0); the matrix is made from them.

type Magnitude = { readonly kind: 'exp'; readonly exp: number } | { readonly kind: 'subnormal' } | { readonly kind: 'max' };
type Form = 'f64' | 'f32' | 'array' | 'rows';

interface Case {
  readonly K: number;
  readonly N: number;
  readonly R: number;
  /** Fraction of entries that are nonzero (0: all-zero V). */
  readonly density: number;
  /** Rows and columns forced to zero (indices mod K and N). */
  readonly zeroRows: readonly number[];
  readonly zeroCols: readonly number[];
  /** Scale of the largest entries. */
  readonly magnitude: Magnitude;
  /** Decades the nonzero entries spread over below the scale. */
  readonly spread: number;
  readonly seed: number;
  readonly form: Form;
  readonly eps: number;
  readonly maxIter: number;
}

const magnitude = (exps: fc.Arbitrary<number>): fc.Arbitrary<Magnitude> =>
  fc.oneof(
    { weight: 8, arbitrary: exps.map((exp): Magnitude => ({ kind: 'exp', exp })) },
    { weight: 1, arbitrary: fc.constant<Magnitude>({ kind: 'subnormal' }) },
    { weight: 1, arbitrary: fc.constant<Magnitude>({ kind: 'max' }) },
  );

/** Sizes default to 1–64 on each side, ranks to 1–70, spreads to 0, 3 and 30 decades. */
function cases(options: {
  exps: [number, number];
  extremes: boolean;
  eps: fc.Arbitrary<number>;
  maxIter: [number, number];
  maxSide?: number;
  maxRank?: number;
  spreads?: readonly number[];
}): fc.Arbitrary<Case> {
  const exps = fc.integer({ min: options.exps[0], max: options.exps[1] });
  const maxSide = options.maxSide ?? 64;
  return fc.record({
    K: fc.integer({ min: 1, max: maxSide }),
    N: fc.integer({ min: 1, max: maxSide }),
    R: fc.integer({ min: 1, max: options.maxRank ?? 70 }),
    density: fc.oneof(
      { weight: 4, arbitrary: fc.constant(1) },
      { weight: 3, arbitrary: fc.constantFrom(0.3, 0.05) },
      { weight: 1, arbitrary: fc.constant(0) },
    ),
    zeroRows: fc.array(fc.nat(maxSide - 1), { maxLength: 3 }),
    zeroCols: fc.array(fc.nat(maxSide - 1), { maxLength: 3 }),
    magnitude: options.extremes ? magnitude(exps) : exps.map((exp): Magnitude => ({ kind: 'exp', exp })),
    spread: fc.constantFrom(...(options.spreads ?? [0, 3, 30])),
    seed: fc.nat(),
    form: fc.constantFrom<Form>('f64', 'array', 'rows', 'f32'),
    eps: options.eps,
    maxIter: fc.integer({ min: options.maxIter[0], max: options.maxIter[1] }),
  });
}

const defaultEps = fc.oneof({ weight: 5, arbitrary: fc.constant(DEFAULT_EPS) }, { weight: 1, arbitrary: fc.constantFrom(1e-3, 1e-12) });

function scaleOf(m: Magnitude): number {
  if (m.kind === 'max') return Number.MAX_VALUE;
  if (m.kind === 'subnormal') return 2 ** -1060; // entries are subnormal (below 2^-1022)
  return 10 ** m.exp;
}

/** V's entries, row-major, and the form they are passed in. */
interface Problem {
  readonly values: Float64Array;
  readonly input: MatrixInput;
  readonly max: number;
}

/**
 * A K×N matrix of the given entries in one of the input forms. A Float32Array can carry the entries only where
 * float32 represents them (normal range, no overflow); otherwise the form falls back to a Float64Array. The f32
 * form rounds `values` in place, so that they stay the numbers the fit is given.
 */
function matrixInput(values: Float64Array, K: number, N: number, form: Form): MatrixInput {
  let max = 0;
  let minNonzero = Infinity;
  for (const x of values) {
    if (x > max) max = x;
    if (x > 0 && x < minNonzero) minNonzero = x;
  }
  const f = form === 'f32' && !(max < 1e30 && minNonzero > 1e-30) ? 'f64' : form;
  if (f === 'f32') for (let k = 0; k < values.length; k++) values[k] = Math.fround(values[k]!);
  return f === 'f64'
    ? { rows: K, cols: N, data: values.slice() }
    : f === 'f32'
      ? { rows: K, cols: N, data: new Float32Array(values) }
      : f === 'array'
        ? { rows: K, cols: N, data: Array.from(values) }
        : Array.from({ length: K }, (_, i) => Array.from(values.subarray(i * N, (i + 1) * N)));
}

/**
 * V of a case. `adjust` may change the entries after they are drawn (it gets the case's stream, continued) and
 * before they are put in the case's form.
 */
function problem(c: Case, adjust?: (values: Float64Array, random: Random) => void): Problem {
  const random = new Random(c.seed);
  const scale = scaleOf(c.magnitude);
  const values = new Float64Array(c.K * c.N);
  for (let k = 0; k < values.length; k++) {
    const on = random.nextDouble() < c.density;
    const u = random.nextDouble();
    const decades = c.spread * random.nextDouble();
    values[k] = on ? scale * u * 10 ** -decades : 0;
  }
  for (const r of c.zeroRows) values.fill(0, (r % c.K) * c.N, (r % c.K) * c.N + c.N);
  for (const col of c.zeroCols) for (let i = 0; i < c.K; i++) values[i * c.N + (col % c.N)] = 0;
  adjust?.(values, random);
  const input = matrixInput(values, c.K, c.N, c.form);
  let max = 0;
  for (const x of values) if (x > max) max = x; // (NaN, a missing entry, is no maximum)
  return { values, input, max };
}

/** The bytes (or, for nested arrays, the numbers) of an input, to prove it unchanged. */
/** A result's matrix with float64 data (a float32 fit's factors are Float32Arrays). */
function widened(m: { rows: number; cols: number; data: ArrayLike<number> }): MatrixInput {
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

function snapshot(input: MatrixInput): string {
  if (Array.isArray(input)) return JSON.stringify(input.map((row) => Array.from(row, (x) => (Object.is(x, -0) ? '-0' : x))));
  const data = (input as { data: ArrayLike<number> }).data;
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  return JSON.stringify(Array.from(data, (x) => (Object.is(x, -0) ? '-0' : x)));
}

// ---------------------------------------------------------------------------------------------------------------
// Checks.

/** Runs a fit and returns its result, or the RangeError of the overflow rule (anything else is a failure). */
function attempt(run: () => NmfResult): NmfResult | RangeError {
  try {
    return run();
  } catch (error) {
    if (error instanceof RangeError && /cannot be computed/.test(error.message)) return error;
    throw error;
  }
}

/** Finite, nonnegative, right shapes, one change pair per iteration. */
function checkResult(r: NmfResult, c: Case): void {
  expect([r.W.rows, r.W.cols, r.W.data.length]).toEqual([c.K, c.R, c.K * c.R]);
  expect([r.H.rows, r.H.cols, r.H.data.length]).toEqual([c.R, c.N, c.R * c.N]);
  expect(r.iterations).toBe(c.maxIter); // tol = 0: every fit runs maxIter iterations
  expect(r.hChange.length).toBe(r.iterations);
  expect(r.wChange.length).toBe(r.iterations);
  for (const array of [r.W.data, r.H.data, r.hChange, r.wChange, [r.spectralError, r.frobeniusError]]) {
    for (const x of array) if (!(x >= 0 && x < Infinity)) expect.fail(`a result holds ${x}`);
  }
}

/**
 * The relative discrepancy of a from b, (‖a − b‖ − floor·√n) / (‖b‖ + scale), to be compared with the dtype's
 * agreement: relative to `scale` as well where the values are differences of larger numbers (a change norm cannot
 * be more exact than the factor it is the change of, nor an error norm than V and W·H), and forgiving an absolute
 * floor for values deep in the subnormals.
 */
function discrepancy(a: ArrayLike<number>, b: ArrayLike<number>, scale = 0): number {
  if (a.length !== b.length) return Infinity;
  // Scaled sums, so that neither 1e300² nor 1e-300² leaves the range.
  let big = 0;
  for (let i = 0; i < a.length; i++) big = Math.max(big, Math.abs(a[i]!), Math.abs(b[i]!));
  if (big === 0) return 0;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += ((a[i]! - b[i]!) / big) ** 2;
    norm += (b[i]! / big) ** 2;
  }
  // Subnormals carry fewer bits: two backends summing in different orders round them differently. Differences at
  // the 2^-1000 (≈ 1e-301) level are below anything the float64 normal range can express relative to data.
  const floor = 2 ** -1000 * Math.sqrt(a.length);
  const excess = Math.sqrt(diff) * big - floor;
  return excess <= 0 ? 0 : excess / (Math.sqrt(norm) * big + scale);
}

/** One comparison of native (first) and wasm (second): the arrays, what they are, and the scale of discrepancy(). */
type Pair = readonly [ArrayLike<number>, ArrayLike<number>, string, number];

/** Fails unless every pair agrees to `agree` (see {@link discrepancy}); records the worst discrepancy of each name. */
function expectAgree(pairs: readonly Pair[], agree: number, worst: Record<string, number>): void {
  for (const [x, y, what, scale] of pairs) {
    const d = discrepancy(x, y, scale);
    worst[what] = Math.max(worst[what] ?? 0, d);
    if (!(d <= agree)) expect.fail(`native and wasm differ in ${what} by ${d}, beyond ${agree}`);
  }
}

/** ‖x‖_F, scaled so that the squares neither overflow nor underflow. */
function norm(x: ArrayLike<number>): number {
  let big = 0;
  for (let i = 0; i < x.length; i++) big = Math.max(big, Math.abs(x[i]!));
  if (big === 0) return 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += (x[i]! / big) ** 2;
  return Math.sqrt(sum) * big;
}

/** Frobenius norm of V − W·H, computed here in float64 with scaling (no overflow or underflow of the squares). */
function residualNorm(V: ArrayLike<number>, r: NmfResult): { norm: number; scale: number } {
  const { rows: K, cols: R } = r.W;
  const N = r.H.cols;
  const e = new Float64Array(K * N);
  let scale = 0;
  let big = 0;
  for (let i = 0; i < K; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let a = 0;
      for (let p = 0; p < R; p++) {
        s += r.W.data[i * R + p]! * r.H.data[p * N + j]!;
        a += Math.abs(r.W.data[i * R + p]! * r.H.data[p * N + j]!);
      }
      e[i * N + j] = V[i * N + j]! - s;
      scale = Math.max(scale, Math.abs(e[i * N + j]!));
      big = Math.max(big, V[i * N + j]!, a);
    }
  }
  if (scale === 0) return { norm: 0, scale: big };
  let sum = 0;
  for (const x of e) sum += (x / scale) ** 2;
  return { norm: Math.sqrt(sum) * scale, scale: big };
}

// ---------------------------------------------------------------------------------------------------------------

describe.each(['float64', 'float32'] as const)('properties in %s', (dtype) => {
  const p = PRECISIONS[dtype];
  const backends = available.filter((backend) => {
    const reason = unsupported(dtype, backend);
    if (reason) console.log(`property.test.ts: skipping ${dtype} on ${backend}: ${reason}`);
    return !reason;
  });
  const run = it.skipIf(backends.length === 0);
  const both = backends.length === 2;

  run('every fit is finite, ≥ 0 and well-shaped, or a RangeError; inputs unchanged; native ≡ wasm', () => {
    // What the runs covered: checked at the end, so that a generator that stopped reaching a region fails loudly.
    const seen = { fits: 0, overflows: 0, compared: 0, allZero: 0, subnormal: 0, huge: 0, overcomplete: 0 };
    const worst: Record<string, number> = {};
    const property = fc.property(
      cases({
        exps: [-300, 300],
        extremes: true,
        eps: fc.oneof({ weight: 6, arbitrary: defaultEps }, { weight: 1, arbitrary: fc.constant(0) }),
        maxIter: [0, 25],
      }),
      (c) => {
        const { values, input, max } = problem(c);
        const before = snapshot(input);
        const options = { rank: c.R, seed: c.seed, maxIter: c.maxIter, tol: 0, eps: c.eps, dtype } as NmfOptions;
        const outcomes = backends.map((backend) => attempt(() => nmfSync(input, { ...options, backend })));
        expect(snapshot(input)).toBe(before);

        if (max === 0) seen.allZero++;
        if (c.magnitude.kind === 'subnormal') seen.subnormal++;
        if (max >= p.overflowMin) seen.huge++;
        if (c.R > Math.min(c.K, c.N)) seen.overcomplete++;
        const mustSucceed = c.eps > 0 && max <= p.safeMax;
        const mustFail = max >= p.overflowMin && c.maxIter > 0;
        for (const outcome of outcomes) {
          if (outcome instanceof RangeError) {
            seen.overflows++;
            if (mustSucceed) expect.fail(`max |V| = ${max}, eps = ${c.eps}: must succeed, but ${outcome.message}`);
            continue;
          }
          if (mustFail) expect.fail(`max |V| = ${max}: must be a RangeError, but the fit succeeded`);
          seen.fits++;
          checkResult(outcome, c);
          // The reported errors are those of the returned factors (to the rounding of forming the residual, and
          // of V's rounding to float32 where the dtype is float32; 1e-150 absolute where squares underflow).
          const residual = residualNorm(p.stored(values), outcome);
          const slack = 8 * (c.R + 2) * p.unit * residual.scale * Math.sqrt(c.K * c.N) + p.tiny;
          expect(Math.abs(outcome.frobeniusError - residual.norm)).toBeLessThanOrEqual(slack);
          expect(outcome.spectralError).toBeLessThanOrEqual(outcome.frobeniusError * (1 + 1e-9) + p.tiny);
          expect(outcome.frobeniusError).toBeLessThanOrEqual(Math.sqrt(Math.min(c.K, c.N)) * outcome.spectralError * (1 + 1e-9) + p.tiny);
        }
        if (both) {
          const [a, b] = outcomes as [NmfResult | RangeError, NmfResult | RangeError];
          // Between "must succeed" and "must fail" one backend may overflow where the other, summing in another
          // order, just does not; everywhere else they agree on the outcome.
          if (mustSucceed || mustFail) expect(a instanceof RangeError).toBe(b instanceof RangeError);
          if (!(a instanceof RangeError) && !(b instanceof RangeError) && max >= p.agreeMin) {
            seen.compared++;
            expect(a.iterations).toBe(b.iterations);
            const steps = Math.sqrt(b.iterations);
            const data = norm(values) + norm(b.W.data) * norm(b.H.data);
            expectAgree(
              [
                [a.W.data, b.W.data, 'W', 0],
                [a.H.data, b.H.data, 'H', 0],
                [a.hChange, b.hChange, 'hChange', steps * norm(b.H.data)],
                [a.wChange, b.wChange, 'wChange', steps * norm(b.W.data)],
                [[a.spectralError], [b.spectralError], 'spectralError', data],
                [[a.frobeniusError], [b.frobeniusError], 'frobeniusError', data],
              ],
              p.agree,
              worst,
            );
          }
        }
      },
    );
    check(property, 250);
    console.log(`property.test.ts (${dtype}): cases ${JSON.stringify(seen)}; worst native/wasm discrepancy ${JSON.stringify(worst)}`);
    for (const [what, count] of Object.entries(seen)) if (what !== 'compared' || both) expect(count, what).toBeGreaterThan(0);
  });

  /**
   * The allowance of one iteration, from (W, H) = (W_{t−1}, H_{t−1}) through (W_{t−1}, H_t) to (W_t, H_t):
   *
   * 1. eps. Lee–Seung's proof majorises ½‖v − Wh‖² at h by a separable quadratic whose minimiser is
   *    h ⊙ (Wᵀv + eps) ⊘ (WᵀWh + eps); the update h ⊙ Wᵀv ⊘ (WᵀWh + eps) overshoots it by h·eps/(b + eps)
   *    (b = WᵀWh) and so may raise the majoriser — hence the objective — by at most ½·eps²·h/(b + eps) an entry.
   *    In ‖·‖_F² = 2·(½‖·‖²), over both half-steps: eps²·[Σ H_{t−1} ⊘ (WᵀW H_{t−1} + eps) + Σ W_{t−1} ⊘ (W H_t H_tᵀ
   *    + eps)] with the W of the H half-step = W_{t−1}. Exact, and tiny (≤ eps·(ΣH + ΣW)).
   * 2. rounding. Each computed update is the exact one perturbed by ~(K + N + R)·u relative per entry; that moves the
   *    objective by at most ~(K + N + R)·u·Σ (V + |W||H|)² — taken 16 times over, u the dtype's unit roundoff.
   * 3. underflow: 1e-280 absolute (objectives of data near 1e-150 and below are sums of underflowing squares).
   */
  function allowance(V: ArrayLike<number>, prev: NmfResult, next: NmfResult, eps: number, unit: number): number {
    const { rows: K, cols: R } = prev.W;
    const N = prev.H.cols;
    const W = prev.W.data;
    const H0 = prev.H.data;
    const H1 = next.H.data;
    const WtW = new Float64Array(R * R);
    for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) for (let k = 0; k < K; k++) WtW[a * R + b]! += W[k * R + a]! * W[k * R + b]!;
    const HHt = new Float64Array(R * R);
    for (let a = 0; a < R; a++) for (let b = 0; b < R; b++) for (let j = 0; j < N; j++) HHt[a * R + b]! += H1[a * N + j]! * H1[b * N + j]!;
    let epsTerm = 0;
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < N; j++) {
        let b = 0;
        for (let q = 0; q < R; q++) b += WtW[r * R + q]! * H0[q * N + j]!;
        epsTerm += H0[r * N + j]! / (b + eps);
      }
    }
    for (let k = 0; k < K; k++) {
      for (let r = 0; r < R; r++) {
        let b = 0;
        for (let q = 0; q < R; q++) b += W[k * R + q]! * HHt[q * R + r]!;
        epsTerm += W[k * R + r]! / (b + eps);
      }
    }
    let size = 0;
    for (const m of [prev, next]) {
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < N; j++) {
          let a = 0;
          for (let q = 0; q < R; q++) a += m.W.data[i * R + q]! * m.H.data[q * N + j]!;
          size += (V[i * N + j]! + a) ** 2;
        }
      }
    }
    return eps * eps * epsTerm + 16 * (K + N + R) * unit * size + 1e-280;
  }

  run('the objective ‖V − WH‖_F² never increases, beyond the stated allowance', () => {
    // The largest increase seen, as a fraction of its allowance, and how many steps increased at all.
    const used = { worst: 0, increases: 0, steps: 0 };
    const property = fc.property(
      cases({ exps: [p.moderate[0], p.moderate[1]], extremes: false, eps: defaultEps, maxIter: [1, 8] }),
      (c) => {
        const { values, input } = problem(c);
        // The objective of the fit's own V: float32 fits round V once, when they start.
        const V = dtype === 'float32' ? Float64Array.from(values, Math.fround) : values;
        for (const backend of backends) {
          const options = { rank: c.R, eps: c.eps, tol: 0, dtype, backend } as NmfOptions;
          // An iteration depends on W and H only, so T fits of one iteration each, every one started from the
          // factors the previous one returned, are the iterations of one fit — and every state is visible.
          let prev = nmfSync(input, { ...options, seed: c.seed, maxIter: 0 });
          let before = residualNorm(V, prev).norm ** 2;
          // Iterations run: all of them, unless a factor underflowed to all zero first (see below).
          let ran = c.maxIter;
          for (let t = 1; t <= c.maxIter; t++) {
            const W = prev.W;
            const H = prev.H;
            const zero = values.some((x) => x > 0)
              ? (
                  [
                    ['W', W],
                    ['H', H],
                  ] as const
                ).find(([, m]) => m.data.every((x) => x === 0))
              : undefined;
            if (zero) {
              // A factor that underflowed to all zero cannot be given back (the documented RangeError); MU never
              // leaves it, so the rest of the fit keeps it: checked on the whole fit below.
              expect(() => nmfSync(input, { ...options, W, H, maxIter: 1 })).toThrow(
                new RegExp(`^options\\.${zero[0]} is all zero while V has a nonzero entry`),
              );
              const rest = nmfSync(input, { ...options, seed: c.seed, maxIter: c.maxIter });
              expect(rest[zero[0]].data.every((x) => x === 0)).toBe(true);
              ran = t - 1;
              break;
            }
            const copies = [snapshot(W), snapshot(H)];
            const next = nmfSync(input, { ...options, W, H, maxIter: 1 });
            expect([snapshot(W), snapshot(H)]).toEqual(copies);
            const after = residualNorm(V, next).norm ** 2;
            const allowed = allowance(V, prev, next, c.eps, p.unit);
            used.steps++;
            if (after > before) {
              used.increases++;
              used.worst = Math.max(used.worst, (after - before) / allowed);
            }
            if (after > before + allowed) {
              expect.fail(`${backend}: iteration ${t} raised ‖V − WH‖² from ${before} to ${after} (allowance ${allowed})`);
            }
            prev = next;
            before = after;
          }
          // … and they are the iterations of one fit, bit for bit.
          const whole = nmfSync(input, { ...options, seed: c.seed, maxIter: ran });
          expect(whole.W.data).toEqual(prev.W.data);
          expect(whole.H.data).toEqual(prev.H.data);
        }
      },
    );
    check(property, 40);
    console.log(`property.test.ts (${dtype}): objective ${JSON.stringify(used)}`);
  });

  run('nmf gives exactly nmfSync’s result, and rejects (never throws) where nmfSync throws', async () => {
    const property = fc.asyncProperty(
      cases({ exps: [-300, 300], extremes: true, eps: defaultEps, maxIter: [0, 10] }).filter((c) => c.K * c.N * c.R <= 20_000),
      async (c) => {
        const { input } = problem(c);
        const before = snapshot(input);
        for (const backend of backends) {
          const options = { rank: c.R, seed: c.seed, maxIter: c.maxIter, tol: 0, eps: c.eps, dtype, backend } as NmfOptions;
          const sync = attempt(() => nmfSync(input, options));
          let pending: Promise<NmfResult> | undefined;
          expect(() => (pending = nmf(input, options))).not.toThrow();
          const async = await pending!.catch((error: unknown) =>
            attempt(() => {
              throw error;
            }),
          );
          expect(snapshot(input)).toBe(before);
          if (sync instanceof RangeError || async instanceof RangeError) {
            expect(async).toBeInstanceOf(RangeError);
            expect(sync).toBeInstanceOf(RangeError);
            continue;
          }
          expect(async.W.data).toEqual(sync.W.data);
          expect(async.H.data).toEqual(sync.H.data);
          expect(async.hChange).toEqual(sync.hChange);
          expect([async.spectralError, async.frobeniusError, async.iterations]).toEqual([
            sync.spectralError,
            sync.frobeniusError,
            sync.iterations,
          ]);
        }
      },
    );
    return check(property, 25);
  });

  describe('the overflow rule at both ends of the range', () => {
    const big = dtype === 'float64' ? [1e170, 1e300, Number.MAX_VALUE] : [1e25, 1e38, 1e300];
    const small = [1e-150, 1e-300, 2 ** -1074, 3e-320];
    run.each(backends)('on %s: entries whose squares overflow are a RangeError, sync and async', async (backend) => {
      for (const x of big) {
        const V = [
          [x, 1],
          [0.5, x / 2],
        ];
        for (const maxIter of [1, 2, 50]) {
          const options = { rank: 2, seed: 3, maxIter, dtype, backend } as NmfOptions;
          expect(() => nmfSync(V, options)).toThrow(RangeError);
          expect(() => nmfSync(V, options)).toThrow(new RegExp(`cannot be computed in ${dtype}: .* is (NaN|Infinity|-Infinity)\\.`));
          await expect(nmf(V, options)).rejects.toThrow(/cannot be computed/);
        }
      }
    });
    run.each(backends)('on %s: tiny and subnormal entries (underflow) still give a finite result ≥ 0', async (backend) => {
      for (const x of small) {
        for (const V of [
          [
            [x, 0],
            [x / 3, x],
          ],
          { rows: 1, cols: 3, data: [x, x, 0] },
        ]) {
          const options = { rank: 3, seed: 4, maxIter: 30, dtype, backend } as NmfOptions;
          for (const r of [nmfSync(V, options), await nmf(V, options)]) {
            for (const y of [...r.W.data, ...r.H.data, ...r.hChange, ...r.wChange, r.spectralError, r.frobeniusError]) {
              expect(y >= 0 && y < Infinity).toBe(true);
            }
            // Whatever underflowed, the reported error is that of the returned factors to an absolute 1e-150.
            const values = p.stored(Float64Array.from(Array.isArray(V) ? V.flat() : V.data));
            expect(Math.abs(r.frobeniusError - residualNorm(values, r).norm)).toBeLessThanOrEqual(p.tiny);
          }
        }
      }
    });
    run.each(backends)('on %s: eps = 0 with an all-zero row (0/0) is a RangeError naming eps', (backend) => {
      const options = { rank: 1, seed: 1, maxIter: 5, eps: 0, dtype, backend } as NmfOptions;
      expect(() =>
        nmfSync(
          [
            [0, 0],
            [0, 0],
          ],
          options,
        ),
      ).toThrow(/cannot be computed.*NaN.*eps = 0/);
      // eps = 0 is fine where nothing divides 0 by 0.
      expect(
        nmfSync(
          [
            [1, 2],
            [3, 4],
          ],
          { ...options, tol: 0 },
        ).iterations,
      ).toBe(5);
    });
    run.each(backends)('on %s: moderate data never trips the rule', (backend) => {
      for (const x of [1e-100, 1e-20, 1, 1e10, p.safeMax]) {
        const r = nmfSync(
          [
            [x, x / 2, 0],
            [0, x, x / 7],
          ],
          { rank: 2, seed: 5, maxIter: 40, tol: 0, dtype, backend } as NmfOptions,
        );
        expect(r.iterations).toBe(40);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The algorithm options (docs/algorithms.md): random combinations of loss, solver, penalties, fixed factors, mask,
// stop rule, errorEvery and normalisation, on small problems (1–24 a side, ranks 1–8) of moderate magnitude.

/** Which factors learn: both, only W (updateH: false) or only H (updateW: false). */
type Learns = 'both' | 'W' | 'H';

interface OptionCase {
  /** V (its density, zero rows and columns, magnitude 1e-3 … 1e3), eps, maxIter, seed and input form. */
  readonly base: Case;
  readonly loss: Loss;
  /** solver 'hals' where it is allowed (Euclidean loss, no mask); else 'mu'. */
  readonly hals: boolean;
  readonly l1W: number;
  readonly l2W: number;
  readonly l1H: number;
  readonly l2H: number;
  readonly learns: Learns;
  /** fixedColumnsW: the columns r < R whose bit is set (0: option not given; bits all ≥ R: given as []). */
  readonly fixed: number;
  /** A mask (Euclidean or KL with MU only): a share of zeros, weights in (0, 1] or ones, NaN in V where it is 0. */
  readonly mask: { readonly zeros: number; readonly fractions: boolean; readonly nan: boolean } | null;
  readonly stop: 'change' | 'objective' | 'none';
  readonly tol: number;
  readonly errorEvery: number;
  readonly normalize: 'none' | 'max' | 'l1' | 'l2';
  /** W0 and H0 given, with this share of zero entries each; null: not given ('random' from the seed). */
  readonly init: { readonly zerosW: number; readonly zerosH: number } | null;
  /** IS (β ≤ 0): keep V's zeros, for the documented RangeError, instead of making V > 0. */
  readonly zerosIS: boolean;
}

const penaltyWeight = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.double({ min: 0, max: 1, noNaN: true }) },
);

function optionCases(maxIter: [number, number]): fc.Arbitrary<OptionCase> {
  return fc.record({
    base: cases({ exps: [-3, 3], extremes: false, eps: defaultEps, maxIter, maxSide: 24, maxRank: 8, spreads: [0, 3] }),
    // Euclidean twice as often: it is the loss of HALS and of libfmp-compatible MU.
    loss: fc.oneof(
      { weight: 2, arbitrary: fc.constant<Loss>('euclidean') },
      { weight: 5, arbitrary: fc.constantFrom<Loss>('kl', 'is', 0.5, 1.5, 3) },
    ),
    hals: fc.boolean(),
    l1W: penaltyWeight,
    l2W: penaltyWeight,
    l1H: penaltyWeight,
    l2H: penaltyWeight,
    learns: fc.oneof({ weight: 4, arbitrary: fc.constant<Learns>('both') }, { weight: 1, arbitrary: fc.constantFrom<Learns>('W', 'H') }),
    fixed: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(255) }),
    mask: fc.option(fc.record({ zeros: fc.constantFrom(0.2, 0.6, 1), fractions: fc.boolean(), nan: fc.boolean() }), { freq: 2 }),
    stop: fc.constantFrom('change' as const, 'objective' as const, 'none' as const),
    tol: fc.constantFrom(0, 1e-4, 1e-2),
    errorEvery: fc.integer({ min: 1, max: 5 }),
    normalize: fc.constantFrom('none' as const, 'max' as const, 'l1' as const, 'l2' as const),
    init: fc.option(fc.record({ zerosW: fc.constantFrom(0, 0.3), zerosH: fc.constantFrom(0, 0.3) }), { freq: 4 }),
    zerosIS: fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  });
}

/** A case made concrete: the arrays given, the options, and what docs/algorithms.md says must happen. */
interface OptionSetup {
  readonly c: OptionCase;
  readonly beta: number;
  readonly solver: 'mu' | 'hals';
  readonly updateW: boolean;
  readonly updateH: boolean;
  readonly fixedColumnsW: readonly number[] | undefined;
  /** V, W0, H0 and the mask as given (V holds NaN where the mask is 0 and `nan`); W0, H0 as drawn when not given. */
  readonly V: Float64Array;
  readonly W0: Float64Array;
  readonly H0: Float64Array;
  readonly mask: Float64Array | undefined;
  /** The caller's arrays, to prove them unchanged. */
  readonly inputs: readonly MatrixInput[];
  /** Every option but dtype and backend. */
  readonly options: NmfOptions;
  /** The RangeError the fit must fail with, where the docs prescribe one; else undefined (it must succeed). */
  readonly error: RegExp | undefined;
}

function setup(c: OptionCase): OptionSetup {
  const { K, N, R, seed, form } = c.base;
  const beta = betaOf(c.loss);
  const solver = c.hals && beta === 2 ? 'hals' : 'mu';
  const updateW = c.learns !== 'H';
  const updateH = c.learns !== 'W';
  const fixedColumnsW = c.fixed === 0 ? undefined : Array.from({ length: R }, (_, r) => r).filter((r) => r < 31 && (c.fixed >> r) & 1);
  // W0, H0 and the mask from their own stream, so that V is the base case's.
  const random = new Random(seed + 1);
  let mask: Float64Array | undefined;
  if (c.mask && solver === 'mu' && (beta === 2 || beta === 1)) {
    const { zeros, fractions } = c.mask;
    mask = Float64Array.from({ length: K * N }, () => {
      const u = random.nextDouble();
      const w = 1 - random.nextDouble();
      return u < zeros ? 0 : fractions ? w : 1;
    });
  }
  const { values: V, input } = problem(c.base, (values, stream) => {
    // The β ≤ 0 divergences are infinite at V = 0 (there is no mask for them): V > 0 unless the case keeps zeros.
    if (beta <= 0 && !c.zerosIS) {
      const scale = scaleOf(c.base.magnitude);
      for (let k = 0; k < values.length; k++) if (values[k] === 0) values[k] = scale * (0.01 + stream.nextDouble());
    }
    // NaN marks a missing entry where the mask is 0 (§3), in every input form.
    if (mask && c.mask!.nan) for (let k = 0; k < values.length; k++) if (mask[k] === 0) values[k] = NaN;
  });
  let W0: Float64Array;
  let H0: Float64Array;
  const inputs: MatrixInput[] = [input];
  const given: { W?: MatrixInput; H?: MatrixInput; mask?: MatrixInput } = {};
  if (c.init) {
    const sparse = (n: number, zeros: number): Float64Array =>
      Float64Array.from({ length: n }, () => (random.nextDouble() < zeros ? 0 : random.nextDouble()));
    W0 = sparse(K * R, c.init.zerosW);
    H0 = sparse(R * N, c.init.zerosH);
    inputs.push((given.W = matrixInput(W0, K, R, form)), (given.H = matrixInput(H0, R, N, form)));
  } else {
    // init 'random' (docs/algorithms.md §9): W0 then H0 from Random(seed).
    const draws = new Random(seed);
    W0 = draws.fill(new Float64Array(K * R));
    H0 = draws.fill(new Float64Array(R * N));
  }
  if (mask) inputs.push((given.mask = matrixInput(mask, K, N, form)));

  let error: RegExp | undefined;
  if (!updateH && fixedColumnsW?.length === R) {
    error = /options\.fixedColumnsW fixes every column of W and options\.updateH is false: the fit would learn nothing/;
  } else if (beta <= 0 && V.includes(0)) {
    const k = V.indexOf(0);
    error = new RegExp(
      `^V has a zero at entry ${k} \\(row ${Math.floor(k / N)}, column ${k % N}\\), where the β = 0 divergence is infinite`,
    );
  } else if (c.init && V.some((x) => x > 0) && (W0.every((x) => x === 0) || H0.every((x) => x === 0))) {
    // A given factor that is all zero while V is not (docs/api.md, options W and H): MU could never leave it.
    error = new RegExp(`^options\\.${W0.every((x) => x === 0) ? 'W' : 'H'} is all zero while V has a nonzero entry`);
  }
  const options = {
    rank: R,
    seed,
    maxIter: c.base.maxIter,
    tol: c.tol,
    eps: c.base.eps,
    loss: c.loss,
    solver,
    l1W: c.l1W,
    l2W: c.l2W,
    l1H: c.l1H,
    l2H: c.l2H,
    updateW,
    updateH,
    ...(fixedColumnsW ? { fixedColumnsW } : {}),
    stop: c.stop,
    errorEvery: c.errorEvery,
    normalize: c.normalize,
    ...given,
  } as NmfOptions;
  return { c, beta, solver, updateW, updateH, fixedColumnsW, V, W0, H0, mask, inputs, options, error };
}

/**
 * An eps whose effects on F are far below 1e-12·F(W0, H0), for the monotonicity test. §2.1's steps are exact MM
 * steps up to two effects of eps: (1) `+ eps` in the denominators moves each step off the MM step by a relative
 * eps/den, which can raise F by a term of second order in it — and den scales like W·Λ^(β−1), so a fixed eps is not
 * small beside it for every β and scale of V: with the default eps (2^-23), β = 3 and V = [[0.0096]] (1×1, rank 1),
 * den ≈ 1e-4 and iteration 4 raised F by 8e-9·F(W0, H0); with eps = 1e-3, β = 0.5 and V of order 1, by 1e-10·F(W0, H0)
 * (fast-check's shrunk counterexamples); (2) the floor max(Λ, eps) is MM only where Λ ≥ eps. Hence eps ≪ den and
 * ≪ V: 1e-15 times the smaller of 1, the scale s of V and s^(β − 1) (the scale of den for W of order 1).
 */
function negligibleEps(c: OptionCase): number {
  const s = scaleOf(c.base.magnitude);
  return 1e-15 * Math.min(1, s, s ** (betaOf(c.loss) - 1));
}

/** The fit, or the RangeError the docs prescribe for the case (any other error, or none where one is due, fails). */
function attemptOptions(s: OptionSetup, options: NmfOptions): NmfResult | RangeError {
  let r: NmfResult;
  try {
    r = nmfSync(s.inputs[0]!, options);
  } catch (error) {
    if (s.error && error instanceof RangeError && s.error.test(error.message)) return error;
    throw error;
  }
  if (s.error) expect.fail(`the fit must fail with a RangeError matching ${s.error}, but it succeeded`);
  return r;
}

/** F(W, H) of docs/algorithms.md §1 by the plain reference (test/reference/objective.ts), on V as the fit stores it. */
function referenceObjective(s: OptionSetup, V: Float64Array, W: ArrayLike<number>, H: ArrayLike<number>): number {
  const { K, N, R } = s.c.base;
  const { l1W, l2W, l1H, l2H } = s.c;
  return objective(mat(K, N, V), mat(K, R, W), mat(R, N, H), {
    loss: s.c.loss,
    eps: s.c.base.eps,
    l1W,
    l2W,
    l1H,
    l2H,
    ...(s.mask ? { mask: mat(K, N, s.mask) } : {}),
  });
}

/**
 * native (a) ≡ wasm (b) on one case, to the dtype's agreement. Returns undefined when everything was compared, or
 * why not:
 *  - 'stopped apart': the backends stopped after different iterations. A stop rule compares numbers with tol, so
 *    where they lie within rounding of it the backends may decide apart (NmfOptions.dtype says so for the change
 *    norms; for 'objective' the in-loop Euclidean objective ½(‖V‖² − 2⟨C, X⟩ + ⟨WᵀW, HHᵀ⟩) is exact only to
 *    ~u·‖V‖², clamped at 0 — shrunk counterexample, float32, V = [[0.547]], rank 4, tol 0: native's history
 *    [0.42, 3.3e-9, 6.8e-10, 0, 4.1e-10] stopped at 4, wasm's [0.42, 3.3e-9, 0, 1.8e-10] at 3, both by the rule). Then
 *    everything up to the earlier stop must agree — which also makes the decisions differ only within rounding.
 *  - 'HALS' in float32: only F(W0, H0) is compared (each backend's result is still checked on its own, the
 *    monotonicity test watches both, and test/algorithms.test.ts compares HALS on fixed problems): float32's 1e-4
 *    is only 1.6e3·u, and components with a small share of W·H drift past it. In float64 HALS is compared in full:
 *    §5 skips a component whose Gram diagonal is at rounding level of the largest (δ = ε²·max G_rr). Without that
 *    rule the sweep divided by rounding residue squared and rounding, not the data, decided the factors — shrunk
 *    counterexamples (float64): V = 0 (4×2), rank 8, one iteration: native's H sweep left 5.6e-17 in a row and its
 *    W sweep zeroed that component's column, wasm's row was 0 — W 35 % apart; V 2×3, rank 4, W0 with two columns
 *    zero in row 1: native's H row 1 came out 4e-17 instead of 0 and its W sweep set W_1,1 = 3.0e14; V 8×9 of rank
 *    8, R = 7, l2W = 2.6e-183: the first W sweep divided by G_kk = l2W — objectives 1.287 and 1.329.
 */
function compareOptionResults(
  a: NmfResult,
  b: NmfResult,
  s: OptionSetup,
  p: Precision,
  worst: Record<string, number>,
): 'stopped apart' | 'HALS' | undefined {
  const F0 = b.objectiveHistory.values[0]!;
  if (s.solver === 'hals' && p.unit > 2 ** -40) {
    expectAgree([[a.objectiveHistory.values.subarray(0, 1), b.objectiveHistory.values.subarray(0, 1), 'history', 0]], p.agree, worst);
    return 'HALS';
  }
  const steps = Math.sqrt(b.iterations);
  const changes = (n: number): Pair[] => [
    [a.hChange.subarray(0, n), b.hChange.subarray(0, n), 'hChange', steps * norm(b.H.data)],
    [a.wChange.subarray(0, n), b.wChange.subarray(0, n), 'wChange', steps * norm(b.W.data)],
  ];
  if (a.iterations !== b.iterations) {
    expect(s.c.stop, 'only a stop rule may make the backends run different numbers of iterations').not.toBe('none');
    const n = Math.min(a.iterations, b.iterations);
    const checkpoints = Math.floor(n / s.c.errorEvery) + 1; // the history's in-loop entries up to iteration n
    const history = (r: NmfResult): Float64Array => r.objectiveHistory.values.subarray(0, checkpoints);
    expectAgree([...changes(n), [history(a), history(b), 'history', F0]], p.agree, worst);
    return 'stopped apart';
  }
  expect(a.objectiveHistory.iterations).toEqual(b.objectiveHistory.iterations);
  const data = norm(s.V.map((v) => (v === v ? v : 0))) + norm(b.W.data) * norm(b.H.data);
  expectAgree(
    [
      [a.W.data, b.W.data, 'W', 0],
      [a.H.data, b.H.data, 'H', 0],
      ...changes(b.iterations),
      [[a.objective], [b.objective], 'objective', F0],
      [a.objectiveHistory.values, b.objectiveHistory.values, 'history', F0],
      [[a.spectralError], [b.spectralError], 'spectralError', data],
      [[a.frobeniusError], [b.frobeniusError], 'frobeniusError', data],
    ],
    p.agree,
    worst,
  );
  return undefined;
}

/** Everything docs/algorithms.md says of one result, beyond the agreement of the backends. */
function checkOptionResult(r: NmfResult, s: OptionSetup, p: Precision, options: NmfOptions): void {
  const { K, N, R, maxIter } = s.c.base;
  const { stop, tol, errorEvery } = s.c;
  expect([r.W.rows, r.W.cols, r.W.data.length, r.H.rows, r.H.cols, r.H.data.length]).toEqual([K, R, K * R, R, N, R * N]);
  for (const [what, array] of [
    ['W', r.W.data],
    ['H', r.H.data],
    ['hChange', r.hChange],
    ['wChange', r.wChange],
  ] as const) {
    for (const x of array) if (!(x >= 0 && x < Infinity)) expect.fail(`${what} holds ${x}`);
  }
  const { iterations: at, values } = r.objectiveHistory;
  for (const x of [r.objective, ...values]) if (!Number.isFinite(x)) expect.fail(`an objective is ${x}`);
  expect(r.hChange.length).toBe(r.iterations);
  expect(r.wChange.length).toBe(r.iterations);
  // §4: the change of a factor that is not updated is 0.
  if (!s.updateW) expect(r.wChange.every((x) => x === 0)).toBe(true);
  if (!s.updateH) expect(r.hChange.every((x) => x === 0)).toBe(true);

  // §7: F at 0, at every multiple of errorEvery, and a closing entry (= objective) when the last is none.
  const checkpoints = Array.from({ length: Math.floor(r.iterations / errorEvery) + 1 }, (_, i) => i * errorEvery);
  const closing = r.iterations % errorEvery !== 0;
  expect(Array.from(at)).toEqual(closing ? [...checkpoints, r.iterations] : checkpoints);
  if (closing) expect(values[values.length - 1]).toBe(r.objective);

  // §1, §7: objective is F of the returned factors, history[0] F of the initial ones (float32: as stored).
  const V = p.stored(s.V);
  const F0 = referenceObjective(s, V, p.stored(s.W0), p.stored(s.H0));
  const F = referenceObjective(s, V, r.W.data, r.H.data);
  if (!(Math.abs(values[0]! - F0) <= p.agree * 2 * F0)) expect.fail(`history[0] = ${values[0]}, but F(W0, H0) = ${F0}`);
  if (!(Math.abs(r.objective - F) <= p.agree * (Math.abs(F) + F0))) expect.fail(`objective = ${r.objective}, but F(W, H) = ${F}`);

  // §6: the stop rule stopped the fit at the first iteration that passed it, and only then.
  expect(r.iterations).toBeLessThanOrEqual(maxIter);
  if (!r.converged) expect(r.iterations).toBe(maxIter);
  const passed: boolean[] = []; // passed[ℓ − 1]: iteration ℓ passed the rule
  if (stop === 'change') for (let i = 0; i < r.iterations; i++) passed.push(r.hChange[i]! < tol && r.wChange[i]! < tol);
  if (stop === 'objective') {
    for (let i = 1; i < checkpoints.length; i++) {
      const [before, after] = [values[i - 1]!, values[i]!];
      passed.length = checkpoints[i]! - 1;
      passed.push(before === 0 || (before - after) / before < tol);
    }
  }
  const first = passed.indexOf(true) + 1; // 0: none
  expect(r.converged).toBe(first > 0);
  if (first > 0) expect(r.iterations).toBe(first);

  // §2 (zeros): a zero of W0 or H0 stays exactly zero under MU (normalisation divides or multiplies it).
  const W0 = p.stored(s.W0);
  const H0 = p.stored(s.H0);
  if (s.solver === 'mu') {
    W0.forEach((x, k) => x === 0 && r.W.data[k] !== 0 && expect.fail(`W0[${k}] = 0 became ${r.W.data[k]}`));
    H0.forEach((x, k) => x === 0 && r.H.data[k] !== 0 && expect.fail(`H0[${k}] = 0 became ${r.H.data[k]}`));
  }
  // §4, §8: a factor or column that is not learned comes back bit-identical (float32: as rounded when stored).
  // (A float32 fit returns its factors as Float32Array: widened, they are the float64 values compared.)
  if (!s.updateW) expect(snapshot(widened(r.W))).toBe(snapshot({ rows: K, cols: R, data: W0 }));
  if (!s.updateH) expect(snapshot(widened(r.H))).toBe(snapshot({ rows: R, cols: N, data: H0 }));
  for (const col of s.fixedColumnsW ?? []) {
    for (let i = 0; i < K; i++)
      if (!Object.is(r.W.data[i * R + col], W0[i * R + col])) expect.fail(`fixed column ${col} of W changed at row ${i}`);
  }
  // §8: normalisation is applied once, after the loop, to the factors the same fit returns with normalize 'none'
  // (bit for bit in float64, where §8 fixes the order of the sum), and the history inside the loop is of those
  // factors. float32 fits normalise in float32, which keeps only an absolute precision of 2^-149 below 2^-126 (a fit
  // that L1 drove to W = 3e-29, H = 3e-14 has H·s = 1.1e-42) and squares a column below 2^-63 into that range
  // ('l2' of W = [2e-20, …] came out 1e-4 off): such components are not compared there.
  if (s.c.normalize !== 'none') {
    const plain = nmfSync(s.inputs[0]!, { ...options, normalize: 'none' });
    const expected = { W: mat(K, R, plain.W.data), H: mat(R, N, plain.H.data) };
    normalizeReference(expected.W, expected.H, { ...s.options, maxIter: 0 } as FitOptions);
    if (p === PRECISIONS.float64) {
      expect(snapshot(r.W)).toBe(snapshot(expected.W));
      expect(snapshot(r.H)).toBe(snapshot(expected.H));
    } else {
      const column = (W: ArrayLike<number>, k: number): number[] => Array.from({ length: K }, (_, i) => W[i * R + k]!);
      for (let k = 0; k < R; k++) {
        if (s.c.normalize === 'l2' && Math.max(...column(plain.W.data, k)) < 2 ** -63) continue;
        for (const [x, y, what] of [
          [column(r.W.data, k), column(expected.W.data, k), 'W'],
          [r.H.data.subarray(k * N, (k + 1) * N), expected.H.data.subarray(k * N, (k + 1) * N), 'H'],
        ] as const) {
          const d = discrepancy(x, y, 2 ** -126);
          if (!(d <= p.agree))
            expect.fail(`normalize '${s.c.normalize}': component ${k} of ${what} differs from the normalised plain fit by ${d}`);
        }
      }
    }
    expect(r.objectiveHistory.values.subarray(0, checkpoints.length)).toEqual(
      plain.objectiveHistory.values.subarray(0, checkpoints.length),
    );
  }
}

describe('properties of the algorithm options (docs/algorithms.md)', () => {
  describe.each(['float64', 'float32'] as const)('in %s', (dtype) => {
    const p = PRECISIONS[dtype];
    const backends = available.filter((backend) => !unsupported(dtype, backend));
    const both = backends.length === 2;

    it.skipIf(backends.length === 0)('a result as documented or the documented RangeError; inputs unchanged; native ≡ wasm', () => {
      const seen = { fits: 0, errors: 0, compared: 0, hals: 0, masked: 0, fixed: 0, frozen: 0, zeros: 0, converged: 0 };
      // Comparisons that covered only part of the results (see compareOptionResults).
      const inPart = { 'stopped apart': 0, HALS: 0 };
      const worst: Record<string, number> = {};
      const property = fc.property(optionCases([0, 20]), (c) => {
        const s = setup(c);
        const before = s.inputs.map(snapshot);
        const outcomes = backends.map((backend) => attemptOptions(s, { ...s.options, dtype, backend }));
        expect(s.inputs.map(snapshot)).toEqual(before);
        for (const r of outcomes) {
          if (r instanceof RangeError) {
            seen.errors++;
            continue;
          }
          seen.fits++;
          checkOptionResult(r, s, p, { ...s.options, dtype, backend: r.backend });
          if (r.converged) seen.converged++;
        }
        if (s.solver === 'hals') seen.hals++;
        if (s.mask) seen.masked++;
        if (s.fixedColumnsW?.length) seen.fixed++;
        if (!s.updateW || !s.updateH) seen.frozen++;
        if (s.W0.includes(0) || s.H0.includes(0)) seen.zeros++;
        const [a, b] = outcomes as [NmfResult | RangeError, NmfResult | RangeError];
        if (both && !(a instanceof RangeError) && !(b instanceof RangeError)) {
          seen.compared++;
          const partly = compareOptionResults(a, b, s, p, worst);
          if (partly) inPart[partly]++;
        }
      });
      check(property, 300);
      console.log(
        `property.test.ts (options, ${dtype}): cases ${JSON.stringify(seen)}, of which compared in part ${JSON.stringify(inPart)}; worst native/wasm discrepancy ${JSON.stringify(worst)}`,
      );
      for (const [what, count] of Object.entries(seen)) if (what !== 'compared' || both) expect(count, what).toBeGreaterThan(0);
    });
  });

  const backends = available;
  it.skipIf(backends.length === 0)('the objective history never increases beyond 1e-12 × F(W0, H0) in every case (§2.1, float64)', () => {
    // The largest increase seen, as a fraction of F(W0, H0), and how many steps increased at all; the cells of §2.1
    // the fits fell in (solver, β, the penalty that matters most, mask).
    const used = { worst: 0, increases: 0, steps: 0 };
    const cells: Record<string, number> = {};
    const property = fc.property(
      optionCases([1, 30]).map((c): OptionCase => ({ ...c, base: { ...c.base, eps: negligibleEps(c) }, stop: 'none', errorEvery: 1 })),
      (c) => {
        // Every case of §2.1 is a majorization–minimization step: HALS and MU with any β and penalties.
        const s = setup(c);
        if (s.error) return; // no fit to watch
        const penalty = s.c.l2W > 0 || s.c.l2H > 0 ? ' L2' : s.c.l1W > 0 || s.c.l1H > 0 ? ' L1' : '';
        const cell = `${s.solver === 'hals' ? 'HALS' : `MU β=${s.beta}`}${penalty}${s.mask ? ' mask' : ''}`;
        cells[cell] = (cells[cell] ?? 0) + 1;
        for (const backend of backends) {
          const r = nmfSync(s.inputs[0]!, { ...s.options, dtype: 'float64', backend });
          const F = r.objectiveHistory.values;
          expect(F.length).toBe(c.base.maxIter + 1);
          for (let t = 1; t < F.length; t++) {
            used.steps++;
            const increase = F[t]! - F[t - 1]!;
            if (increase > 0) {
              used.increases++;
              used.worst = Math.max(used.worst, increase / F[0]!);
            }
            if (increase > 1e-12 * F[0]!)
              expect.fail(`${backend}: iteration ${t} raised F from ${F[t - 1]} to ${F[t]} (F(W0, H0) = ${F[0]})`);
          }
        }
      },
    );
    check(property, 300);
    console.log(`property.test.ts (options, float64): objective ${JSON.stringify(used)}; cells ${JSON.stringify(cells)}`);
    for (const cell of [
      /^HALS L1/,
      /^HALS L2/,
      /^MU β=0( |$)/,
      /^MU β=0\.5 L1/,
      /^MU β=1 L2/,
      /^MU β=1\.5/,
      /^MU β=2 L2/,
      /^MU β=3 L2/,
      /^MU β=[12].* mask$/,
    ]) {
      expect(
        Object.keys(cells).some((k) => cell.test(k)),
        `a fit in the cell ${cell}`,
      ).toBe(true);
    }
  });
});
