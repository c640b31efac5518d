/**
 * Scratch (wasm engineer): the wasm backend's KernelFit against test/reference/fit.ts for the algorithms of
 * docs/algorithms.md. Prints the largest relative differences per case.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FitAlgorithm, FitProblem, KernelChoice, KernelFit } from '../src/contract.js';
import { compileWasmModule, createWasmBackend } from '../src/backends/wasm.js';
import { Random } from '../src/random.js';
import { fit as referenceFit, type FitOptions } from './reference/fit.js';
import { mat, type Mat } from './reference/linalg.js';
import { betaOf, type Loss } from './reference/objective.js';

const backend = createWasmBackend(compileWasmModule(readFileSync(new URL('../wasm/nmfkit.wasm', import.meta.url))));

interface Case {
  name: string;
  K: number;
  N: number;
  R: number;
  options: Omit<FitOptions, 'maxIter'>;
  maxIter: number;
  kernel?: KernelChoice;
  blockRows?: number;
  chunk?: number;
  withMask?: boolean;
}

function rel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    d += (a[i]! - b[i]!) ** 2;
    n += b[i]! ** 2;
  }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

function relScalar(a: number, b: number): number {
  return b === 0 ? Math.abs(a) : Math.abs(a - b) / Math.abs(b);
}

function problemData(K: number, N: number, R: number, seed: number, withMask: boolean) {
  const random = new Random(seed);
  const V = new Float64Array(K * N).map(() => random.nextDouble() + 0.05);
  const W = new Float64Array(K * R).map(() => random.nextDouble() + 0.01);
  const H = new Float64Array(R * N).map(() => random.nextDouble() + 0.01);
  let mask: Float64Array | undefined;
  if (withMask) {
    mask = new Float64Array(K * N).map(() => {
      const u = random.nextDouble();
      return u < 0.2 ? 0 : u < 0.4 ? u : 1;
    });
    for (let k = 0; k < mask.length; k++) if (mask[k] === 0) V[k] = 0;
  }
  return { V, W, H, mask };
}

function runCase(c: Case, dtype: 'float64' | 'float32' = 'float64') {
  const { K, N, R } = c;
  const data = problemData(K, N, R, K * 1000 + N * 10 + R, c.withMask ?? false);
  const o = c.options;
  const maskMat: Mat | undefined = data.mask ? mat(K, N, data.mask) : undefined;
  const refOptions: FitOptions = { ...o, maxIter: c.maxIter, ...(maskMat && { mask: maskMat }) };
  const ref = referenceFit(mat(K, N, data.V), mat(K, R, data.W), mat(R, N, data.H), refOptions);

  const fixed = new Uint8Array(R);
  for (const r of o.fixedColumnsW ?? []) fixed[r] = 1;
  const algorithm: FitAlgorithm = {
    beta: betaOf((o.loss ?? 'euclidean') as Loss),
    solver: o.solver ?? 'mu',
    l1W: o.l1W ?? 0,
    l2W: o.l2W ?? 0,
    l1H: o.l1H ?? 0,
    l2H: o.l2H ?? 0,
    updateW: o.updateW !== false,
    updateH: o.updateH !== false,
    ...(o.fixedColumnsW && { fixedColumnsW: fixed }),
    ...(data.mask && { mask: data.mask }),
    stop: o.stop ?? 'change',
    errorEvery: o.errorEvery ?? (o.loss === undefined || o.loss === 'euclidean' ? 1 : 10),
  };
  const problem: FitProblem = {
    rows: K,
    cols: N,
    rank: R,
    V: data.V.slice(),
    W: data.W.slice(),
    H: data.H.slice(),
    eps: o.eps ?? 2 ** -23,
    tol: o.tol ?? 1e-3,
    dtype,
    ...(c.kernel && { kernel: c.kernel }),
    ...(c.blockRows && { blockRows: c.blockRows }),
    algorithm,
  };
  const fit: KernelFit = backend.createFit(problem);
  const h = new Float64Array(c.maxIter);
  const w = new Float64Array(c.maxIter);
  const f = new Float64Array(c.maxIter);
  let done = 0;
  let converged = false;
  const chunk = c.chunk ?? 7;
  while (done < c.maxIter) {
    const ran = fit.run(Math.min(chunk, c.maxIter - done), h, w, done, f);
    done += ran;
    converged = fit.converged();
    if (converged) break;
  }
  const result = fit.finish(o.normalize ?? 'none');
  fit.dispose();

  let history = relScalar(result.initialObjective, ref.history[0]!.value);
  for (const entry of ref.history.slice(1)) {
    const got = entry.iteration % algorithm.errorEvery === 0 ? f[entry.iteration - 1]! : result.objective;
    history = Math.max(history, relScalar(got, entry.value));
  }
  // Non-checkpoint entries must be NaN.
  let nanOk = true;
  for (let i = 0; i < done; i++) if (((i + 1) % algorithm.errorEvery !== 0) !== Number.isNaN(f[i]!)) nanOk = false;
  return {
    iterations: [done, ref.iterations],
    converged: [converged, ref.stopReason === 'tol'],
    W: rel(result.W, ref.W.data),
    H: rel(result.H, ref.H.data),
    objective: relScalar(result.objective, ref.objective),
    history,
    changes: Math.max(rel(h.subarray(0, done), ref.hChange), rel(w.subarray(0, done), ref.wChange)),
    nanOk,
  };
}

const LOSSES: Loss[] = ['euclidean', 'kl', 'is', 0.5, 3];
const SIZES: [number, number, number][] = [
  [12, 9, 3],
  [30, 20, 4],
];
const PEN = { l1W: 0.05, l2W: 0.1, l1H: 0.02, l2H: 0.2 };

const cases: Case[] = [];
for (const [K, N, R] of SIZES) {
  const base = { K, N, R, maxIter: 40 };
  const tag = `${K}x${N}r${R}`;
  for (const loss of LOSSES) {
    cases.push({ ...base, name: `${tag} mu ${loss}`, options: { loss, stop: 'none', errorEvery: 3 } });
    cases.push({ ...base, name: `${tag} mu ${loss} pen`, options: { loss, ...PEN, stop: 'none', errorEvery: 1 } });
    cases.push({ ...base, name: `${tag} mu ${loss} pen l1 only`, options: { loss, l1W: 0.1, l1H: 0.1, stop: 'none', errorEvery: 10 } });
    cases.push({ ...base, name: `${tag} mu ${loss} fixed`, options: { loss, fixedColumnsW: [1], stop: 'none', errorEvery: 10, normalize: 'l2' } });
  }
  for (const loss of ['euclidean', 'kl'] as Loss[]) {
    cases.push({ ...base, name: `${tag} mu ${loss} mask`, withMask: true, options: { loss, stop: 'none', errorEvery: 3 } });
    cases.push({ ...base, name: `${tag} mu ${loss} mask pen`, withMask: true, options: { loss, ...PEN, stop: 'none', errorEvery: 1 } });
    cases.push({ ...base, name: `${tag} mu ${loss} keepW`, options: { loss, updateW: false, stop: 'none', errorEvery: 1, normalize: 'max' } });
    cases.push({ ...base, name: `${tag} mu ${loss} keepH`, options: { loss, updateH: false, stop: 'none', errorEvery: 3, normalize: 'l1' } });
    cases.push({ ...base, name: `${tag} mu ${loss} change`, options: { loss, tol: 1e-2, errorEvery: 1 } });
    cases.push({ ...base, name: `${tag} mu ${loss} objective`, options: { loss, tol: 1e-3, stop: 'objective', errorEvery: 3 } });
    cases.push({ ...base, name: `${tag} mu ${loss} objective e1`, options: { loss, tol: 1e-2, stop: 'objective', errorEvery: 1 } });
  }
  cases.push({ ...base, name: `${tag} hals`, options: { solver: 'hals', stop: 'none', errorEvery: 1 } });
  cases.push({ ...base, name: `${tag} hals pen`, options: { solver: 'hals', ...PEN, stop: 'none', errorEvery: 3 } });
  cases.push({ ...base, name: `${tag} hals pen fixed`, options: { solver: 'hals', ...PEN, fixedColumnsW: [0, 2], stop: 'none', errorEvery: 10, normalize: 'l2' } });
  cases.push({ ...base, name: `${tag} hals keepW`, options: { solver: 'hals', updateW: false, stop: 'none', errorEvery: 1 } });
  cases.push({ ...base, name: `${tag} hals keepH`, options: { solver: 'hals', l1W: 0.3, updateH: false, stop: 'none', errorEvery: 1 } });
  cases.push({ ...base, name: `${tag} hals objective`, options: { solver: 'hals', stop: 'objective', tol: 1e-4, errorEvery: 1 } });
  cases.push({ ...base, name: `${tag} hals sparse`, options: { solver: 'hals', l1H: 3, l1W: 1, stop: 'none', errorEvery: 1 } });
  cases.push({ ...base, maxIter: 400, chunk: 50, name: `${tag} hals change stops`, options: { solver: 'hals', tol: 2e-2, errorEvery: 5 } });
  cases.push({ ...base, maxIter: 400, chunk: 50, name: `${tag} mu change stops`, options: { tol: 2e-2, errorEvery: 5 } });
  cases.push({ ...base, maxIter: 400, chunk: 50, name: `${tag} kl change stops`, options: { loss: 'kl', tol: 2e-2 } });
  cases.push({ ...base, maxIter: 400, chunk: 50, name: `${tag} is objective stops`, options: { loss: 'is', stop: 'objective', tol: 1e-4 } });
  cases.push({ ...base, maxIter: 0, name: `${tag} maxIter 0 seed max`, options: { normalize: 'max' } });
  cases.push({ ...base, maxIter: 0, name: `${tag} maxIter 0 kl l2 pen`, options: { loss: 'kl', ...PEN, normalize: 'l2' } });
  cases.push({ ...base, maxIter: 0, name: `${tag} maxIter 0 hals keepH`, options: { solver: 'hals', updateH: false, l2W: 1, normalize: 'l1' } });
  cases.push({ ...base, maxIter: 0, name: `${tag} maxIter 0 fused`, kernel: 'fused', blockRows: 4, options: { l1H: 0.5, normalize: 'l1' } });
  cases.push({ ...base, name: `${tag} mu seed max`, options: { normalize: 'max' } });
  cases.push({ ...base, name: `${tag} mu seed l1`, options: { normalize: 'l1', stop: 'none' } });
  cases.push({ ...base, name: `${tag} fused pen fixed`, kernel: 'fused', blockRows: 5, options: { ...PEN, fixedColumnsW: [1], stop: 'none', errorEvery: 3, normalize: 'l2' } });
  cases.push({ ...base, name: `${tag} fused objective`, kernel: 'fused', blockRows: 4, chunk: 1, options: { stop: 'objective', tol: 1e-4, errorEvery: 2 } });
  cases.push({ ...base, name: `${tag} fused requested, kl`, kernel: 'fused', blockRows: 4, options: { loss: 'kl', stop: 'none', errorEvery: 10 } });
}

describe('wasm kernels vs test/reference/fit.ts (float64)', () => {
  const rows: string[] = [];
  let worst = 0;
  for (const c of cases) {
    it(c.name, () => {
      const r = runCase(c);
      const m = Math.max(r.W, r.H, r.objective, r.history, r.changes);
      worst = Math.max(worst, m);
      rows.push(`${c.name.padEnd(34)} it ${r.iterations.join('/')} W ${r.W.toExponential(1)} H ${r.H.toExponential(1)} F ${r.objective.toExponential(1)} hist ${r.history.toExponential(1)} chg ${r.changes.toExponential(1)}`);
      expect(r.iterations[0]).toBe(r.iterations[1]);
      expect(r.converged[0]).toBe(r.converged[1]);
      expect(r.nanOk).toBe(true);
      expect(m).toBeLessThan(1e-9);
    });
  }
  it('prints', () => {
    console.log(rows.join('\n') + `\nworst ${worst.toExponential(2)}`);
  });
});

describe('float32 sanity', () => {
  for (const c of cases.filter((c) => c.K === 30 && !c.name.includes('objective') && !c.name.includes('change'))) {
    it(c.name, () => {
      const r = runCase({ ...c, maxIter: 20 }, 'float32');
      expect(Math.max(r.objective, r.history)).toBeLessThan(1e-3);
    });
  }
});

describe('async paths carry objective and converged', () => {
  const make = (stop: 'change' | 'objective', loss: number): FitProblem => {
    const d = problemData(30, 20, 4, 7, true);
    return {
      rows: 30, cols: 20, rank: 4, V: d.V, W: d.W, H: d.H, eps: 2 ** -23, tol: stop === 'change' ? 2e-2 : 1e-3,
      algorithm: { beta: loss, solver: 'mu', l1W: 0.01, l2W: 0.02, l1H: 0, l2H: 0.1, updateW: true, updateH: true, mask: d.mask!, stop, errorEvery: 3 },
    };
  };
  const copyProblem = (p: FitProblem): FitProblem => ({
    ...p, V: p.V.slice(), W: p.W.slice(), H: p.H.slice(), algorithm: { ...p.algorithm!, mask: p.algorithm!.mask!.slice() },
  });
  for (const [stop, loss] of [['change', 1], ['objective', 2], ['objective', 1]] as const) {
    it(`${stop} β=${loss}: sync, worker pool and inline agree`, async () => {
      const p = make(stop, loss);
      const n = 300;
      const outs = () => ({ h: new Float64Array(n), w: new Float64Array(n), f: new Float64Array(n) });
      const s = outs();
      const sync = backend.createFit(copyProblem(p));
      let done = 0;
      while (done < n) {
        done += sync.run(Math.min(11, n - done), s.h, s.w, done, s.f);
        if (sync.converged()) break;
      }
      const syncConverged = sync.converged();
      const syncResult = sync.finish('l1');
      const { chooseBackend } = await import('../src/backends/select.js');
      const { inlineAsyncFit } = await import('../src/backends/wasm-inline.js');
      for (const asyncFit of [chooseBackend('wasm').createAsyncFit(copyProblem(p)), inlineAsyncFit(backend.createFit(copyProblem(p)))]) {
        const a = outs();
        let k = 0;
        while (k < n) {
          k += await asyncFit.runAsync(Math.min(17, n - k), a.h, a.w, k, a.f);
          if (asyncFit.converged()) break;
        }
        expect(k).toBe(done);
        expect(asyncFit.converged()).toBe(syncConverged);
        expect(Array.from(a.h)).toEqual(Array.from(s.h));
        expect(Array.from(a.f)).toEqual(Array.from(s.f));
        const r = await asyncFit.finishAsync('l1');
        expect(r.objective).toBe(syncResult.objective);
        expect(r.initialObjective).toBe(syncResult.initialObjective);
        expect(Array.from(r.W)).toEqual(Array.from(syncResult.W));
        asyncFit.dispose();
      }
      sync.dispose();
      console.log(stop, loss, 'iterations', done, 'converged', syncConverged);
    });
  }
});
