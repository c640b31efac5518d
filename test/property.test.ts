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
 * Reproducible: fast-check runs from a fixed seed (NMFKIT_FC_SEED overrides it; NMFKIT_FC_RUNS scales the number
 * of runs), and a failure reports the seed, the shrunk counterexample and the command to rerun it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_EPS, nmf, nmfSync, type BackendName, type MatrixInput, type NmfOptions, type NmfResult } from '../src/index.js';
import { Random } from '../src/random.js';
import { BACKENDS, backendAvailable } from './helpers.js';

const SEED = Number(process.env.NMFKIT_FC_SEED ?? 20251128);
const RUN_SCALE = Number(process.env.NMFKIT_FC_RUNS ?? 1);
const runs = (n: number): number => Math.max(1, Math.round(n * RUN_SCALE));

/** fc.assert from the fixed seed; a failure says how to reproduce it. */
function check(property: fc.IProperty<[Case]> | fc.IAsyncProperty<[Case]>, numRuns: number): void | Promise<void> {
  const fail = (error: unknown): never => {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\n\nReproduce: NMFKIT_FC_SEED=${SEED} npx vitest run test/property.test.ts`, { cause: error });
  };
  try {
    const done = fc.assert(property as fc.IProperty<[Case]>, { seed: SEED, numRuns: runs(numRuns) }) as unknown;
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
  /** V as the fit stores it (float32 fits round it once, when they start). */
  readonly stored: (values: Float64Array) => Float64Array;
}

const PRECISIONS: Record<Dtype, Precision> = {
  float64: { unit: 2 ** -53, agree: 1e-9, safeMax: 1e100, overflowMin: 1e170, moderate: [-100, 100], tiny: 1e-150, stored: (v) => v },
  // float32: V, W and H are stored and multiplied in float32 (NmfOptions.dtype); squares overflow from ~1.8e19.
  float32: { unit: 2 ** -24, agree: 1e-4, safeMax: 1e9, overflowMin: 1e25, moderate: [-12, 12], tiny: 1e-17, stored: (v) => Float64Array.from(v, Math.fround) },
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

function cases(options: { exps: [number, number]; extremes: boolean; eps: fc.Arbitrary<number>; maxIter: [number, number] }): fc.Arbitrary<Case> {
  const exps = fc.integer({ min: options.exps[0], max: options.exps[1] });
  return fc.record({
    K: fc.integer({ min: 1, max: 64 }),
    N: fc.integer({ min: 1, max: 64 }),
    R: fc.integer({ min: 1, max: 70 }),
    density: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 3, arbitrary: fc.constantFrom(0.3, 0.05) }, { weight: 1, arbitrary: fc.constant(0) }),
    zeroRows: fc.array(fc.nat(63), { maxLength: 3 }),
    zeroCols: fc.array(fc.nat(63), { maxLength: 3 }),
    magnitude: options.extremes ? magnitude(exps) : exps.map((exp): Magnitude => ({ kind: 'exp', exp })),
    spread: fc.constantFrom(0, 3, 30),
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

function problem(c: Case): Problem {
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
  let max = 0;
  let minNonzero = Infinity;
  for (const x of values) {
    max = Math.max(max, x);
    if (x > 0) minNonzero = Math.min(minNonzero, x);
  }
  // A Float32Array can carry the entries only where float32 represents them (normal range, no overflow).
  const form = c.form === 'f32' && !(max < 1e30 && minNonzero > 1e-30) ? 'f64' : c.form;
  if (form === 'f32') for (let k = 0; k < values.length; k++) values[k] = Math.fround(values[k]!);
  const input: MatrixInput =
    form === 'f64'
      ? { rows: c.K, cols: c.N, data: values.slice() }
      : form === 'f32'
        ? { rows: c.K, cols: c.N, data: new Float32Array(values) }
        : form === 'array'
          ? { rows: c.K, cols: c.N, data: Array.from(values) }
          : Array.from({ length: c.K }, (_, i) => Array.from(values.subarray(i * c.N, (i + 1) * c.N)));
  return { values, input, max };
}

/** The bytes (or, for nested arrays, the numbers) of an input, to prove it unchanged. */
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
      cases({ exps: [-300, 300], extremes: true, eps: fc.oneof({ weight: 6, arbitrary: defaultEps }, { weight: 1, arbitrary: fc.constant(0) }), maxIter: [0, 25] }),
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
          if (!(a instanceof RangeError) && !(b instanceof RangeError)) {
            seen.compared++;
            expect(a.iterations).toBe(b.iterations);
            const steps = Math.sqrt(b.iterations);
            const data = norm(values) + norm(b.W.data) * norm(b.H.data);
            for (const [x, y, what, scale] of [
              [a.W.data, b.W.data, 'W', 0],
              [a.H.data, b.H.data, 'H', 0],
              [a.hChange, b.hChange, 'hChange', steps * norm(b.H.data)],
              [a.wChange, b.wChange, 'wChange', steps * norm(b.W.data)],
              [[a.spectralError], [b.spectralError], 'spectralError', data],
              [[a.frobeniusError], [b.frobeniusError], 'frobeniusError', data],
            ] as const) {
              const d = discrepancy(x, y, scale);
              worst[what] = Math.max(worst[what] ?? 0, d);
              if (!(d <= p.agree)) expect.fail(`native and wasm differ in ${what} by ${d}, beyond ${p.agree}`);
            }
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
          for (let t = 1; t <= c.maxIter; t++) {
            const W = prev.W;
            const H = prev.H;
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
          const whole = nmfSync(input, { ...options, seed: c.seed, maxIter: c.maxIter });
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
          const async = await pending!.catch((error: unknown) => attempt(() => { throw error; }));
          expect(snapshot(input)).toBe(before);
          if (sync instanceof RangeError || async instanceof RangeError) {
            expect(async).toBeInstanceOf(RangeError);
            expect(sync).toBeInstanceOf(RangeError);
            continue;
          }
          expect(async.W.data).toEqual(sync.W.data);
          expect(async.H.data).toEqual(sync.H.data);
          expect(async.hChange).toEqual(sync.hChange);
          expect([async.spectralError, async.frobeniusError, async.iterations]).toEqual([sync.spectralError, sync.frobeniusError, sync.iterations]);
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
        const V = [[x, 1], [0.5, x / 2]];
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
        for (const V of [[[x, 0], [x / 3, x]], { rows: 1, cols: 3, data: [x, x, 0] }]) {
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
      expect(() => nmfSync([[0, 0], [0, 0]], options)).toThrow(/cannot be computed.*NaN.*eps = 0/);
      // eps = 0 is fine where nothing divides 0 by 0.
      expect(nmfSync([[1, 2], [3, 4]], { ...options, tol: 0 }).iterations).toBe(5);
    });
    run.each(backends)('on %s: moderate data never trips the rule', (backend) => {
      for (const x of [1e-100, 1e-20, 1, 1e10, p.safeMax]) {
        const r = nmfSync([[x, x / 2, 0], [0, x, x / 7]], { rank: 2, seed: 5, maxIter: 40, tol: 0, dtype, backend } as NmfOptions);
        expect(r.iterations).toBe(40);
      }
    });
  });
});
