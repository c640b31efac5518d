/**
 * Scratch (native engineer): the native kernel against test/reference/fit.ts for every algorithm of
 * docs/algorithms.md (each loss with MU, masks, penalties, fixed factors, HALS, the stop rules, errorEvery,
 * normalisation), float64 on 12×9 R3 and 30×20 R4, through KernelFit directly (run in chunks of 7, finish): W, H,
 * the checkpoints, objective and initialObjective within 1e-9 relative, iterations and converged() equal. Also the
 * fused sweep with penalties and fixed columns, float32 at float32 accuracy, runAsync/finishAsync, and the glue's
 * refusal of bad algorithm objects. NMFKIT_SCRATCH_TABLE=1 prints the differences.
 */
import { describe, expect, it } from 'vitest';
import type { FitAlgorithm, KernelFit, KernelNormalize } from '../src/contract.js';
import { loadNativeBackend } from '../src/backends/native.js';
import { Random } from '../src/random.js';
import { fit as referenceFit, type FitOptions } from './reference/fit.js';
import { mat, type Mat } from './reference/linalg.js';
import { betaOf, DEFAULT_EPS } from './reference/objective.js';

const load = loadNativeBackend();

interface Case {
  name: string;
  o: Omit<FitOptions, 'mask'> & { maskKind?: 'binary' | 'fractional' | 'ones' };
}

function maxRel(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(got[i]! - expected[i]!);
    if (Number.isNaN(got[i]!) !== Number.isNaN(expected[i]!)) return Infinity;
    if (!Number.isNaN(d)) worst = Math.max(worst, scale === 0 ? d : d / scale);
  }
  return worst;
}

function rel(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

function problem(K: number, N: number, R: number, seed: number, maskKind?: string) {
  const rnd = new Random(seed);
  const V = mat(K, N, Array.from({ length: K * N }, () => 0.05 + rnd.nextDouble()));
  const W0 = mat(K, R, Array.from({ length: K * R }, () => 0.1 + rnd.nextDouble()));
  const H0 = mat(R, N, Array.from({ length: R * N }, () => 0.1 + rnd.nextDouble()));
  let mask: Mat | undefined;
  if (maskKind) {
    mask = mat(K, N);
    for (let k = 0; k < K * N; k++) {
      const u = rnd.nextDouble();
      mask.data[k] = maskKind === 'ones' ? 1 : maskKind === 'binary' ? (u < 0.25 ? 0 : 1) : u < 0.2 ? 0 : u < 0.5 ? u : 1;
      if (mask.data[k] === 0) V.data[k] = 0;
    }
  }
  return { V, W0, H0, mask };
}

function runNative(
  p: ReturnType<typeof problem>,
  o: FitOptions,
  chunk: number,
  extra: { kernel?: 'plain' | 'fused'; blockRows?: number; dtype?: 'float32' | 'float64' } = {},
): { W: Float64Array; H: Float64Array; iterations: number; converged: boolean; h: Float64Array; w: Float64Array; f: Float64Array; objective: number; initialObjective: number; frob: number } {
  if (!load.ok) throw new Error(load.reason);
  const { V, W0, H0, mask } = p;
  const R = W0.cols;
  const fixed = new Uint8Array(R);
  for (const r of o.fixedColumnsW ?? []) fixed[r] = 1;
  const algorithm: FitAlgorithm = {
    beta: betaOf(o.loss ?? 'euclidean'),
    solver: o.solver ?? 'mu',
    l1W: o.l1W ?? 0,
    l2W: o.l2W ?? 0,
    l1H: o.l1H ?? 0,
    l2H: o.l2H ?? 0,
    updateW: o.updateW ?? true,
    updateH: o.updateH ?? true,
    ...(o.fixedColumnsW ? { fixedColumnsW: fixed } : {}),
    ...(mask ? { mask: mask.data.slice() } : {}),
    stop: o.stop ?? 'change',
    errorEvery: o.errorEvery ?? 1,
  };
  const kfit: KernelFit = load.backend.createFit({
    rows: V.rows,
    cols: V.cols,
    rank: R,
    V: V.data.slice(),
    W: W0.data.slice(),
    H: H0.data.slice(),
    eps: o.eps ?? DEFAULT_EPS,
    tol: o.tol ?? 1e-3,
    algorithm,
    ...extra,
  });
  const h = new Float64Array(o.maxIter);
  const w = new Float64Array(o.maxIter);
  const f = new Float64Array(o.maxIter);
  let done = 0;
  let converged = false;
  while (done < o.maxIter) {
    const steps = Math.min(chunk, o.maxIter - done);
    const n = kfit.run(steps, h, w, done, f);
    done += n;
    converged = kfit.converged();
    if (n < steps || converged) break;
  }
  const result = kfit.finish((o.normalize ?? 'none') as KernelNormalize);
  kfit.dispose();
  return {
    W: result.W,
    H: result.H,
    iterations: done,
    converged,
    h: h.subarray(0, done),
    w: w.subarray(0, done),
    f: f.subarray(0, done),
    objective: result.objective,
    initialObjective: result.initialObjective,
    frob: result.frobeniusError,
  };
}

const losses: [string, FitOptions['loss']][] = [
  ['euclidean', 'euclidean'],
  ['kl', 'kl'],
  ['is', 'is'],
  ['beta0.5', 0.5],
  ['beta3', 3],
  ['beta1.5', 1.5],
];

const cases: Case[] = [];
for (const [name, loss] of losses) {
  cases.push({ name: `mu ${name}`, o: { loss, maxIter: 40, stop: 'none', errorEvery: 1 } });
  cases.push({ name: `mu ${name} l1`, o: { loss, maxIter: 40, stop: 'none', l1W: 0.05, l1H: 0.1, errorEvery: 3 } });
  cases.push({ name: `mu ${name} l2`, o: { loss, maxIter: 40, stop: 'none', l2W: 0.2, l2H: 0.1, errorEvery: 3 } });
  cases.push({ name: `mu ${name} l1+l2`, o: { loss, maxIter: 40, stop: 'none', l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.3, errorEvery: 10 } });
  cases.push({ name: `mu ${name} updateW false`, o: { loss, maxIter: 30, stop: 'none', updateW: false, errorEvery: 1 } });
  cases.push({ name: `mu ${name} updateH false`, o: { loss, maxIter: 30, stop: 'none', updateH: false, errorEvery: 1 } });
  cases.push({ name: `mu ${name} fixed`, o: { loss, maxIter: 30, stop: 'none', fixedColumnsW: [1], errorEvery: 1, normalize: 'l2' } });
  cases.push({ name: `mu ${name} stop objective`, o: { loss, maxIter: 50, stop: 'objective', tol: 1e-3, errorEvery: 3 } });
  cases.push({ name: `mu ${name} stop change`, o: { loss, maxIter: 50, stop: 'change', tol: 2e-2, errorEvery: 10 } });
}
for (const [name, loss] of losses) {
  for (const maskKind of ['binary', 'fractional'] as const) {
    cases.push({ name: `mu ${name} mask ${maskKind}`, o: { loss, maxIter: 40, stop: 'none', maskKind, errorEvery: 1 } });
  }
  cases.push({ name: `mu ${name} mask + l1/l2 + fixed`, o: { loss, maxIter: 40, stop: 'none', maskKind: 'fractional', l1W: 0.01, l2H: 0.1, fixedColumnsW: [0], errorEvery: 3, normalize: 'l1' } });
}
cases.push({ name: 'mu euclidean mask ones', o: { loss: 'euclidean', maxIter: 40, stop: 'none', maskKind: 'ones', errorEvery: 1 } });
cases.push({ name: 'hals', o: { solver: 'hals', maxIter: 40, stop: 'none', errorEvery: 1 } });
cases.push({ name: 'hals penalties', o: { solver: 'hals', maxIter: 40, stop: 'none', l1W: 0.5, l2W: 0.2, l1H: 0.3, l2H: 0.1, errorEvery: 3 } });
cases.push({ name: 'hals fixed', o: { solver: 'hals', maxIter: 40, stop: 'none', fixedColumnsW: [0, 2], errorEvery: 1, normalize: 'max' } });
cases.push({ name: 'hals updateW false', o: { solver: 'hals', maxIter: 30, stop: 'none', updateW: false, errorEvery: 1 } });
cases.push({ name: 'hals updateH false', o: { solver: 'hals', maxIter: 30, stop: 'none', updateH: false, errorEvery: 1 } });
cases.push({ name: 'hals stop objective', o: { solver: 'hals', maxIter: 50, stop: 'objective', tol: 1e-4, errorEvery: 1 } });
cases.push({ name: 'hals moderate l1 (some zero rows)', o: { solver: 'hals', maxIter: 30, stop: 'none', l1H: 1.5, l1W: 0.5, errorEvery: 1 } });
cases.push({ name: 'hals big l1 (zero rows)', o: { solver: 'hals', maxIter: 30, stop: 'none', l1H: 30, l1W: 5, errorEvery: 1 } });
cases.push({ name: 'seed change', o: { maxIter: 50, tol: 1e-2 } });
for (const normalize of ['max', 'l1', 'l2'] as const) {
  cases.push({ name: `normalize ${normalize}`, o: { maxIter: 30, stop: 'none', normalize, l1W: 0.1, l2H: 0.1, errorEvery: 10 } });
  cases.push({ name: `normalize ${normalize} kl`, o: { loss: 'kl', maxIter: 30, stop: 'none', normalize, errorEvery: 7 } });
}

const shapes: [number, number, number][] = [
  [12, 9, 3],
  [30, 20, 4],
];

describe.runIf(load.ok)('native kernel vs test/reference/fit.ts', () => {
  const table: string[] = [];
  for (const c of cases) {
    for (const [K, N, R] of shapes) {
      it(`${c.name} ${K}×${N} R${R}`, () => {
        const p = problem(K, N, R, K * 1000 + N + R, c.o.maskKind);
        const o: FitOptions = { ...c.o, ...(p.mask ? { mask: p.mask } : {}) };
        const ref = referenceFit(p.V, p.W0, p.H0, o);
        const got = runNative(p, o, 7);
        expect(got.iterations).toBe(ref.iterations);
        expect(got.converged).toBe(ref.stopReason === 'tol');
        const every = o.errorEvery ?? 1;
        // The kernel's checkpoints.
        const checkpoints: number[] = [];
        for (let i = 0; i < got.iterations; i++) {
          if ((i + 1) % every === 0) checkpoints.push(got.f[i]!);
          else expect(Number.isNaN(got.f[i]!)).toBe(true);
        }
        const refCheckpoints = ref.history.filter((e) => e.iteration > 0 && e.iteration % every === 0).map((e) => e.value);
        const dW = maxRel(got.W, ref.W.data);
        const dH = maxRel(got.H, ref.H.data);
        const dHist = maxRel(checkpoints, refCheckpoints);
        const dF = rel(got.objective, ref.objective);
        const dF0 = rel(got.initialObjective, ref.history[0]!.value);
        const dh = maxRel(got.h, ref.hChange);
        const dw = maxRel(got.w, ref.wChange);
        table.push(`${`${c.name} ${K}×${N}`.padEnd(48)} W ${dW.toExponential(1)} H ${dH.toExponential(1)} hist ${dHist.toExponential(1)} F ${dF.toExponential(1)} F0 ${dF0.toExponential(1)} dh ${dh.toExponential(1)} dw ${dw.toExponential(1)} it ${got.iterations}`);
        const tol = 1e-9;
        expect(checkpoints.length).toBe(refCheckpoints.length);
        expect(dW).toBeLessThan(tol);
        expect(dH).toBeLessThan(tol);
        expect(dHist).toBeLessThan(tol);
        expect(dF).toBeLessThan(tol);
        expect(dF0).toBeLessThan(tol);
        expect(dh).toBeLessThan(1e-7);
        expect(dw).toBeLessThan(1e-7);
      });
    }
  }
  // The fused sweep (MU, Gram form, both factors updated) with penalties and fixed columns, blocks of 4 rows.
  const fusedCases: Case[] = [
    { name: 'fused seed', o: { maxIter: 40, stop: 'none', errorEvery: 1 } },
    { name: 'fused penalties', o: { maxIter: 40, stop: 'none', l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.3, errorEvery: 3 } },
    { name: 'fused fixed', o: { maxIter: 40, stop: 'none', fixedColumnsW: [2], errorEvery: 1, normalize: 'l2' } },
    { name: 'fused stop objective', o: { maxIter: 50, stop: 'objective', tol: 1e-4, errorEvery: 2 } },
  ];
  for (const c of fusedCases) {
    it(`${c.name} 30×20 R4 (blocks of 4 and 7)`, () => {
      const p = problem(30, 20, 4, 77);
      const ref = referenceFit(p.V, p.W0, p.H0, c.o);
      for (const blockRows of [4, 7]) {
        const got = runNative(p, c.o, 5, { kernel: 'fused', blockRows });
        expect(got.iterations).toBe(ref.iterations);
        const every = c.o.errorEvery ?? 1;
        const checkpoints = Array.from(got.f).filter((_, i) => (i + 1) % every === 0);
        const refCheckpoints = ref.history.filter((e) => e.iteration > 0 && e.iteration % every === 0).map((e) => e.value);
        const d = [maxRel(got.W, ref.W.data), maxRel(got.H, ref.H.data), maxRel(checkpoints, refCheckpoints), rel(got.objective, ref.objective), rel(got.initialObjective, ref.history[0]!.value)];
        table.push(`${`${c.name} blocks ${blockRows}`.padEnd(48)} W ${d[0]!.toExponential(1)} H ${d[1]!.toExponential(1)} hist ${d[2]!.toExponential(1)} F ${d[3]!.toExponential(1)} F0 ${d[4]!.toExponential(1)} it ${got.iterations}`);
        for (const x of d) expect(x).toBeLessThan(1e-9);
      }
    });
  }

  // float32: the same formulas in float32; agreement with the float64 reference at float32 level.
  for (const c of [cases[0]!, cases.find((x) => x.name === 'mu kl l1+l2')!, cases.find((x) => x.name === 'mu is')!, cases.find((x) => x.name === 'mu beta0.5 mask fractional')!, cases.find((x) => x.name === 'hals penalties')!, cases.find((x) => x.name === 'mu kl mask + l1/l2 + fixed')!]) {
    it(`float32 ${c.name}`, () => {
      const p = problem(30, 20, 4, 5, c.o.maskKind);
      const o: FitOptions = { ...c.o, maxIter: 20, ...(p.mask ? { mask: p.mask } : {}) };
      const ref = referenceFit(p.V, p.W0, p.H0, o);
      const got = runNative(p, o, 6, { dtype: 'float32' });
      const d = [maxRel(got.W, ref.W.data), maxRel(got.H, ref.H.data), rel(got.objective, ref.objective), rel(got.initialObjective, ref.history[0]!.value)];
      table.push(`${`float32 ${c.name}`.padEnd(48)} W ${d[0]!.toExponential(1)} H ${d[1]!.toExponential(1)} F ${d[2]!.toExponential(1)} F0 ${d[3]!.toExponential(1)}`);
      for (const x of d) expect(x).toBeLessThan(2e-4);
    });
  }

  it('async: runAsync with the objective array, converged(), finishAsync', async () => {
    if (!load.ok) return;
    const p = problem(30, 20, 4, 9);
    const o: FitOptions = { loss: 'kl', maxIter: 60, stop: 'objective', tol: 1e-3, errorEvery: 4 };
    const ref = referenceFit(p.V, p.W0, p.H0, o);
    const fit = load.backend.createAsyncFit({
      rows: 30, cols: 20, rank: 4, V: p.V.data.slice(), W: p.W0.data.slice(), H: p.H0.data.slice(), eps: DEFAULT_EPS, tol: 1e-3,
      algorithm: { beta: 1, solver: 'mu', l1W: 0, l2W: 0, l1H: 0, l2H: 0, updateW: true, updateH: true, stop: 'objective', errorEvery: 4 },
    });
    const h = new Float64Array(60), w = new Float64Array(60), f = new Float64Array(60);
    let done = 0;
    expect(fit.converged()).toBe(false);
    while (done < 60) {
      const n = await fit.runAsync(Math.min(9, 60 - done), h, w, done, f);
      done += n;
      if (fit.converged()) break;
    }
    expect(done).toBe(ref.iterations);
    expect(fit.converged()).toBe(ref.stopReason === 'tol');
    const checkpoints = Array.from(f.subarray(0, done)).filter((_, i) => (i + 1) % 4 === 0);
    expect(maxRel(checkpoints, ref.history.slice(1).filter((e) => e.iteration % 4 === 0).map((e) => e.value))).toBeLessThan(1e-12);
    const r = await fit.finishAsync('l1');
    expect(rel(r.objective, referenceFit(p.V, p.W0, p.H0, { ...o, normalize: 'l1' }).objective)).toBeLessThan(1e-12);
    expect(rel(r.initialObjective, ref.history[0]!.value)).toBeLessThan(1e-12);
    fit.dispose();
  });

  it('finish without run: initialObjective = objective of W0, H0 (normalised for objective)', () => {
    if (!load.ok) return;
    const p = problem(12, 9, 3, 3);
    const fit = load.backend.createFit({
      rows: 12, cols: 9, rank: 3, V: p.V.data.slice(), W: p.W0.data.slice(), H: p.H0.data.slice(), eps: DEFAULT_EPS, tol: 1e-3,
      algorithm: { beta: 0.5, solver: 'mu', l1W: 0.1, l2W: 0, l1H: 0, l2H: 0.2, updateW: true, updateH: true, stop: 'none', errorEvery: 10 },
    });
    const r = fit.finish('max');
    const ref = referenceFit(p.V, p.W0, p.H0, { loss: 0.5, l1W: 0.1, l2H: 0.2, maxIter: 0, normalize: 'max' });
    expect(rel(r.initialObjective, ref.history[0]!.value)).toBeLessThan(1e-13);
    expect(rel(r.objective, ref.objective)).toBeLessThan(1e-13);
    fit.dispose();
  });

  it('the glue refuses bad algorithm objects with TypeError / RangeError', async () => {
    const { createRequire } = await import('node:module');
    const { fileURLToPath } = await import('node:url');
    const addon = createRequire(import.meta.url)('node-gyp-build')(fileURLToPath(new URL('..', import.meta.url))) as { Fit: new (...a: unknown[]) => { run(...a: unknown[]): number; dispose(): void; converged(): boolean; finish(k: string): unknown } };
    const f64 = (n: number): Float64Array => new Float64Array(n).fill(0.5);
    const base = { beta: 2, solver: 'mu', l1W: 0, l2W: 0, l1H: 0, l2H: 0, updateW: true, updateH: true, stop: 'change', errorEvery: 1 };
    const make = (alg: unknown) => new addon.Fit(2, 3, 2, f64(6), f64(4), f64(6), 2 ** -23, 1e-3, 'float64', 'auto', 0, alg);
    const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
      [null, TypeError, /algorithm must be an object/],
      [42, TypeError, /algorithm must be an object/],
      [[1], TypeError, /algorithm must be an object/],
      [{}, TypeError, /algorithm\.beta/],
      [{ ...base, beta: NaN }, RangeError, /beta/],
      [{ ...base, beta: '2' }, TypeError, /beta/],
      [{ ...base, solver: 'cd' }, RangeError, /solver/],
      [{ ...base, solver: 1 }, TypeError, /solver/],
      [{ ...base, l1W: -1 }, RangeError, /l1W/],
      [{ ...base, l2H: Infinity }, RangeError, /l2H/],
      [{ ...base, updateW: 1 }, TypeError, /updateW/],
      [{ ...base, updateW: false, updateH: false }, RangeError, /both be false/],
      [{ ...base, fixedColumnsW: [0] }, TypeError, /fixedColumnsW/],
      [{ ...base, fixedColumnsW: new Uint8Array(3) }, RangeError, /fixedColumnsW has length 3/],
      [{ ...base, fixedColumnsW: new Uint8Array([0, 2]) }, RangeError, /0 or 1/],
      [{ ...base, mask: new Float32Array(6) }, TypeError, /mask/],
      [{ ...base, mask: new Float64Array(5) }, RangeError, /mask has length 5/],
      [{ ...base, mask: new Float64Array([1, 1, 1, 1, 1, 1.5]) }, RangeError, /\[0, 1\]/],
      [{ ...base, mask: new Float64Array([1, 1, 1, 1, 1, NaN]) }, RangeError, /\[0, 1\]/],
      [{ ...base, solver: 'hals', beta: 1 }, RangeError, /hals/],
      [{ ...base, solver: 'hals', mask: f64(6) }, RangeError, /hals/],
      [{ ...base, stop: 'never' }, RangeError, /stop/],
      [{ ...base, errorEvery: 0 }, RangeError, /errorEvery/],
      [{ ...base, errorEvery: 1.5 }, RangeError, /errorEvery/],
      [{ ...base, errorEvery: '1' }, TypeError, /errorEvery/],
      [{ ...base, get beta(): number { throw new Error('getter'); } }, TypeError, /algorithm\.beta could not be read: getter/],
      [new Proxy({}, { get() { throw new RangeError('trap'); } }), TypeError, /algorithm\.beta could not be read: trap/],
    ];
    for (const [alg, kind, message] of bad) {
      let error: unknown;
      try {
        make(alg).dispose();
      } catch (e) {
        error = e;
      }
      expect(error, String(message)).toBeInstanceOf(kind);
      expect((error as Error).message).toMatch(message);
    }
    // A getter that detaches the mask's buffer: the length check sees the detached array.
    const mask = f64(6);
    const evil = { ...base, beta: 1, get stop(): string { structuredClone(mask.buffer, { transfer: [mask.buffer] }); return 'change'; }, mask };
    expect(() => make(evil)).toThrow(RangeError);
    // The objective array: wrong type, too short.
    const fit = make(base);
    const out = (): Float64Array => new Float64Array(4);
    expect(() => fit.run(2, out(), out(), 0, new Float32Array(4))).toThrow(TypeError);
    expect(() => fit.run(4, out(), out(), 1, out())).toThrow(RangeError);
    expect(fit.run(2, out(), out(), 0, undefined)).toBeGreaterThan(0);
    expect(typeof fit.converged()).toBe('boolean');
    expect(() => fit.finish('l3')).toThrow(RangeError);
    for (const k of ['none', 'max', 'l1', 'l2']) expect(() => make(base).finish(k)).not.toThrow();
    fit.dispose();
  });

  // NMFKIT_SCRATCH_TABLE=1 prints the largest relative differences per case.
  it('table', () => {
    if (process.env['NMFKIT_SCRATCH_TABLE'] === '1') console.log(table.join('\n'));
  });
});
