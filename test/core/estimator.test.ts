/**
 * The NMF estimator (src/estimator.ts), on both entries (test/hostile/entries.ts) and every backend: fit,
 * fitTransform and transform are the fits nmfSync makes with the same options (transform: W fixed, H from
 * √(mean(V)/R)), inverseTransform is W·H, reconstructionErr is scikit-learn's, the async methods equal the sync ones
 * and honour their signal, a model used before it is fitted or given V of the wrong height is a coded error, the
 * caller's arrays and options are never modified, and the saved model round-trips exactly — in and across the
 * entries — while bad, foreign or newer models are refused naming the field.
 */
import { describe, expect, it } from 'vitest';
import type { NmfModelJson } from '../../src/index.js';
import { ENTRIES } from '../hostile/entries.js';
import { catchError, coded, outcome } from '../hostile/hostile-values.js';
import { randomMatrix, relativeError } from '../support/helpers.js';

const V = randomMatrix(12, 30, 7);
const V2 = randomMatrix(12, 9, 8);
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

/** Σ (V − W·H)² and the generalized KL divergence of V from W·H, in plain float64. */
function residual(
  v: { rows: number; cols: number; data: ArrayLike<number> },
  wh: { data: ArrayLike<number> },
): { frob: number; kl: number } {
  let frob = 0;
  let kl = 0;
  for (let k = 0; k < v.data.length; k++) {
    const x = v.data[k]!;
    const l = Math.max(wh.data[k]!, 2 ** -23);
    frob += (x - wh.data[k]!) ** 2;
    kl += x > 0 ? x * (Math.log(x) - Math.log(l)) - x + l : wh.data[k]!;
  }
  return { frob: Math.sqrt(frob), kl };
}

describe.each(ENTRIES)('$name entry', (entry) => {
  const { NMF } = entry;
  const backends = entry.backends.filter((b) => entry.available(b));

  describe.each(backends)('on %s', (backend) => {
    const options = { rank: 3, maxIter: 150, seed: 4, backend } as const;

    it('fit and fitTransform are the fit nmfSync makes; components is W, nIter, objective, stopReason and seed its own', () => {
      const direct = entry.nmfSync(V, options);
      const model = new NMF(options);
      expect(model.isFitted).toBe(false);
      expect(model.fit(V)).toBe(model);
      expect(model.isFitted).toBe(true);
      expect(model.components).toEqual(direct.W);
      expect(model.nIter).toBe(direct.iterations);
      expect(model.objective).toBe(direct.objective);
      expect(model.stopReason).toBe(direct.stopReason);
      expect(model.seed).toBe(4);
      expect(model.reconstructionErr).toBe(direct.frobeniusError);
      expect(new NMF(options).fitTransform(V)).toEqual(direct.H);
      // A fresh copy each time: changing it changes nothing.
      const c = model.components;
      c.data.fill(0);
      expect(model.components).toEqual(direct.W);
    });

    it('fit with initial factors (scikit-learn init="custom") is nmfSync from them', () => {
      const start = entry.nmfSync(V, { ...options, maxIter: 0 });
      const direct = entry.nmfSync(V, { ...options, W: start.W, H: start.H, seed: undefined });
      const model = new NMF({ rank: 3, maxIter: 150, backend });
      expect(model.fitTransform(V, { W: start.W, H: start.H })).toEqual(direct.H);
      expect(model.components).toEqual(direct.W);
      expect(model.seed).toBeNull();
      expect(new NMF({ rank: 3, maxIter: 150, backend, seed: 9 }).fit(V, { W: start.W }).components).toEqual(
        entry.nmfSync(V, { ...options, W: start.W, seed: 9 }).W,
      );
    });

    it('transform learns H for new columns against W held fixed, from √(mean(V)/R), many columns at once', () => {
      const model = new NMF({ ...options, l1H: 0.01, tol: 1e-6 }).fit(V);
      const W = model.components;
      const mean = V2.data.reduce((s, x) => s + x, 0) / V2.data.length;
      const H0 = { rows: 3, cols: V2.cols, data: new Float64Array(3 * V2.cols).fill(Math.sqrt(mean / 3)) };
      const direct = entry.nmfSync(V2, { rank: 3, maxIter: 150, l1H: 0.01, tol: 1e-6, backend, W, H: H0, updateW: false });
      const H = model.transform(V2);
      expect(H).toEqual(direct.H);
      // The columns are independent problems: with a fixed number of iterations, one column at a time gives the same.
      const fixed = new NMF({ ...options, stop: 'none', maxIter: 40 }).fit(V);
      const all = fixed.transform(V2);
      for (const j of [0, 4, 8]) {
        const column = { rows: V2.rows, cols: 1, data: Array.from({ length: V2.rows }, (_, i) => V2.data[i * V2.cols + j]!) };
        const one = fixed.transform(column);
        for (let r = 0; r < 3; r++) {
          const x = all.data[r * V2.cols + j]!;
          expect(Math.abs(one.data[r]! - x) / Math.max(1e-300, Math.abs(x)), `column ${j}, row ${r}`).toBeLessThan(1e-6);
        }
      }
      // transform of the training data comes close to fitTransform (scikit-learn's test_nmf_transform).
      const ft = new NMF({ ...options, tol: 1e-8, maxIter: 2000, solver: 'hals' });
      const h1 = ft.fitTransform(V);
      const h2 = ft.transform(V);
      expect(Math.max(...h1.data.map((x, k) => Math.abs(x - h2.data[k]!)))).toBeLessThan(0.1);
    });

    it('transform of the training data reproduces fitTransform’s H to the solver’s tolerance (HALS)', () => {
      // With W fixed, H's problem is convex (nonnegative least squares); a converged fit's H solves it, and transform
      // solves it again from its own start, stopping by the same rule.
      for (const tol of [1e-4, 1e-6, 1e-8]) {
        const model = new NMF({ rank: 3, solver: 'hals', tol, maxIter: 100000, seed: 4, backend });
        const fitted = model.fitTransform(V);
        expect(model.stopReason).toBe('tol');
        expect(relativeError(model.transform(V).data, fitted.data), `tol ${tol}`).toBeLessThan(tol);
      }
    });

    it('inverseTransform is W·H', () => {
      const model = new NMF(options).fit(V);
      const H = model.transform(V2);
      const back = model.inverseTransform(H);
      const W = model.components;
      expect(back.rows).toBe(12);
      expect(back.cols).toBe(V2.cols);
      for (const [i, j] of [
        [0, 0],
        [11, 8],
        [5, 3],
      ] as const) {
        let s = 0;
        for (let r = 0; r < 3; r++) s += W.data[i * 3 + r]! * H.data[r * V2.cols + j]!;
        expect(back.data[i * V2.cols + j]).toBeCloseTo(s, 14);
      }
    });

    it('reconstructionErr: ‖V − WH‖_F for the Euclidean loss (penalties or not), √(2·D_β) otherwise', () => {
      const e = new NMF({ ...options, l2W: 0.1, l1H: 0.05 });
      const He = e.fitTransform(V);
      expect(e.reconstructionErr).toBeCloseTo(residual(V, e.inverseTransform(He)).frob, 12);
      for (const penalties of [{}, { l1H: 0.2, l2W: 0.3 }]) {
        const k = new NMF({ ...options, loss: 'kl', ...penalties });
        const Hk = k.fitTransform(V);
        const { kl } = residual(V, k.inverseTransform(Hk));
        expect(Math.abs(k.reconstructionErr / Math.sqrt(2 * kl) - 1), JSON.stringify(penalties)).toBeLessThan(1e-9);
      }
    });

    it('the async methods equal the sync ones and never block; a signal cancels them and leaves the model as it was', async () => {
      const sync = new NMF(options).fit(V);
      const model = new NMF(options);
      const pending = model.fitAsync(V);
      expect(model.isFitted).toBe(false);
      expect(await pending).toBe(model);
      expect(model.components).toEqual(sync.components);
      expect(await new NMF(options).fitTransformAsync(V)).toEqual(new NMF(options).fitTransform(V));
      expect(await model.transformAsync(V2)).toEqual(sync.transform(V2));
      const aborted = await outcome(() => model.fitAsync(V2, { signal: AbortSignal.abort() }), true);
      expect(codeOf(aborted)).toBe('NMFKIT_ABORTED');
      expect(codeOf(await outcome(() => model.transformAsync(V2, { signal: AbortSignal.abort() }), true))).toBe('NMFKIT_ABORTED');
      expect(model.components).toEqual(sync.components);
      // Two fits at once: the one started last is kept, whichever ends last.
      const twice = new NMF({ ...options, maxIter: 5 });
      const slow = twice.fitAsync(V, { W: sync.components });
      const quick = twice.fitAsync(V2);
      await Promise.all([slow, quick]);
      expect(twice.components).toEqual(new NMF({ ...options, maxIter: 5 }).fit(V2).components);
      // Errors reject, never throw.
      expect(codeOf(await outcome(() => new NMF(options).transformAsync(V2), true))).toBe('NMFKIT_NOT_FITTED');
      expect(codeOf(await outcome(() => model.fitAsync([[-1]]), true))).toBe('NMFKIT_INVALID_VALUE');
    });

    it('float32: the factors are Float32Arrays, close to float64', () => {
      const m32 = new NMF({ ...options, dtype: 'float32' });
      const H = m32.fitTransform(V);
      expect(H.data).toBeInstanceOf(Float32Array);
      expect(m32.components.data).toBeInstanceOf(Float32Array);
      expect(m32.transform(V2).data).toBeInstanceOf(Float32Array);
      expect(new NMF(options).fitTransform(V).data).toBeInstanceOf(Float64Array);
    });
  });

  describe('errors', () => {
    it('a model used before it is fitted is NMFKIT_NOT_FITTED (an Error), naming what was asked for', () => {
      const model = new NMF({ rank: 2 });
      for (const [what, use] of [
        ['transform', () => model.transform(V)],
        ['inverseTransform', () => model.inverseTransform({ rows: 2, cols: 1, data: [1, 1] })],
        ['components', () => model.components],
        ['nIter', () => model.nIter],
        ['reconstructionErr', () => model.reconstructionErr],
        ['objective', () => model.objective],
        ['stopReason', () => model.stopReason],
        ['seed', () => model.seed],
      ] as const) {
        const error = catchError(use);
        expect(error, what).toBeInstanceOf(Error);
        expect(codeOf(error), what).toBe('NMFKIT_NOT_FITTED');
        expect((error as Error).message).toContain(`before ${what}`);
        coded(error, what);
      }
    });

    it('V with the wrong number of rows, or H with the wrong number of rows, is a RangeError naming it', () => {
      const model = new NMF({ rank: 3, seed: 1, maxIter: 10 }).fit(V);
      const error = catchError(() => model.transform(randomMatrix(5, 4, 1)));
      expect(error).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/^V must have 12 rows, as the data the model was fitted to \(components is 12×3/);
      expect(codeOf(error)).toBe('NMFKIT_INVALID_VALUE');
      const h = catchError(() => model.inverseTransform(randomMatrix(2, 4, 1)));
      expect((h as Error).message).toMatch(/^H must have 3 rows/);
      expect(codeOf(h)).toBe('NMFKIT_INVALID_VALUE');
    });

    it('the options are checked at construction, naming the option; per-call ones are refused', () => {
      const cases: [unknown, RegExp, string][] = [
        [{}, /^options\.rank must be a number, got undefined/, 'NMFKIT_INVALID_TYPE'],
        [{ rank: 0 }, /^options\.rank must be an integer/, 'NMFKIT_INVALID_VALUE'],
        [{ rank: 2, tol: -1 }, /^options\.tol must be a finite number ≥ 0/, 'NMFKIT_INVALID_VALUE'],
        [{ rank: 2, solver: 'hals', loss: 'kl' }, /^options\.solver 'hals' is for the Euclidean loss only/, 'NMFKIT_INVALID_VALUE'],
        [{ rank: 2, loss: 'kl', eps: 0 }, /^options\.eps must be > 0/, 'NMFKIT_INVALID_VALUE'],
        [
          { rank: 2, restarts: 3, init: 'nndsvd' },
          /^options\.restarts = 3 needs an initialisation that uses the seed/,
          'NMFKIT_INVALID_VALUE',
        ],
        [{ rank: 2, fixedColumnsW: [2] }, /^options\.fixedColumnsW\[0\] must be an integer in \[0, rank − 1 = 1\]/, 'NMFKIT_INVALID_VALUE'],
        [{ rank: 2, W: [[1]] }, /^unknown option options\.W/, 'NMFKIT_INVALID_TYPE'],
        [{ rank: 2, mask: [[1]] }, /^unknown option options\.mask/, 'NMFKIT_INVALID_TYPE'],
        [{ rank: 2, updateW: false }, /^unknown option options\.updateW/, 'NMFKIT_INVALID_TYPE'],
        [{ rank: 2, signal: AbortSignal.abort() }, /^unknown option options\.signal/, 'NMFKIT_INVALID_TYPE'],
        [{ rank: 2, maxiter: 3 }, /^unknown option options\.maxiter \(did you mean 'maxIter'\?\)/, 'NMFKIT_INVALID_TYPE'],
      ];
      for (const [options, message, code] of cases) {
        const error = catchError(() => new NMF(options as never));
        expect((error as Error).message, JSON.stringify(options)).toMatch(message);
        expect(codeOf(error), JSON.stringify(options)).toBe(code);
        coded(error, JSON.stringify(options));
      }
      // The call's own options: W and H to fit, signal to the async methods; nothing else.
      const model = new NMF({ rank: 2, maxIter: 3 });
      expect((catchError(() => model.fit(V, { rank: 3 } as never)) as Error).message).toMatch(/^unknown option options\.rank/);
      expect((catchError(() => model.fit(V, { signal: AbortSignal.abort() } as never)) as Error).message).toMatch(
        /^unknown option options\.signal/,
      );
      expect((catchError(() => model.fit(V, { W: [[1, 2]] })) as Error).message).toMatch(/^options\.W must be 12×2/);
    });

    it('never modifies the caller’s arrays or options', async () => {
      const v = { rows: V.rows, cols: V.cols, data: Array.from(V.data) };
      const before = structuredClone(v);
      const options = { rank: 2, maxIter: 20, seed: 3, fixedColumnsW: [1] };
      const optionsBefore = structuredClone(options);
      const start = entry.nmfSync(v, { rank: 2, maxIter: 0, seed: 1 });
      const W = { rows: 12, cols: 2, data: Array.from(start.W.data) };
      const Wbefore = structuredClone(W);
      const model = new NMF(options);
      model.fit(v, { W });
      await model.fitAsync(v, { W });
      model.transform(v);
      await model.transformAsync(v);
      const H = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
      model.inverseTransform(H);
      options.fixedColumnsW.push(0);
      expect(model.options).toEqual(optionsBefore);
      (model.options.fixedColumnsW as number[]).push(0);
      expect(model.options).toEqual(optionsBefore);
      expect(v).toEqual(before);
      expect(W).toEqual(Wbefore);
      expect(H).toEqual({ rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] });
    });

    it('a model whose components are all zero transforms anything to H = 0', () => {
      const zero = new NMF({ rank: 2, maxIter: 5, seed: 1 }).fit({ rows: 3, cols: 4, data: new Float64Array(12) });
      expect(Array.from(zero.components.data)).toEqual(new Array(6).fill(0));
      const H = zero.transform(randomMatrix(3, 5, 2));
      expect(H.rows).toBe(2);
      expect(Array.from(H.data)).toEqual(new Array(10).fill(0));
    });
  });

  describe('toJSON and NMF.fromJSON', () => {
    const make = (more: object = {}) => new NMF({ rank: 3, maxIter: 60, seed: 5, loss: 'kl', l1H: 0.01, ...more }).fit(V);

    it('round-trip every number exactly, in this entry and into the other one', () => {
      const model = make();
      const json = model.toJSON();
      expect(json.format).toBe('nmfkit-model');
      expect(json.version).toBe(2);
      expect(json.options).toEqual({ rank: 3, maxIter: 60, seed: 5, loss: 'kl', l1H: 0.01 });
      const text = JSON.stringify(model);
      expect(JSON.parse(text)).toEqual(json);
      for (const other of ENTRIES) {
        for (const source of [text, json, JSON.parse(text) as NmfModelJson]) {
          const loaded = other.NMF.fromJSON(source);
          expect(loaded.isFitted).toBe(true);
          const W = loaded.components;
          W.data.forEach((x, k) => expect(Object.is(x, model.components.data[k]), `${other.name} W[${k}]`).toBe(true));
          expect([loaded.nIter, loaded.reconstructionErr, loaded.objective, loaded.stopReason, loaded.seed]).toEqual([
            model.nIter,
            model.reconstructionErr,
            model.objective,
            model.stopReason,
            model.seed,
          ]);
          expect(loaded.options).toEqual(model.options);
          expect(JSON.stringify(loaded)).toBe(text);
        }
        // The loaded model transforms as the original does (on the other entry's backend: to rounding).
        const got = other.NMF.fromJSON(text).transform(V2).data;
        const expected = model.transform(V2).data;
        expect(Math.max(...got.map((x, k) => Math.abs(x - expected[k]!))), other.name).toBeLessThan(1e-9);
      }
    });

    it('round-trip float32 models, unfitted models and onIteration-free options', () => {
      const f32 = make({ dtype: 'float32' });
      const loaded = NMF.fromJSON(JSON.stringify(f32));
      expect(loaded.components.data).toBeInstanceOf(Float32Array);
      expect(loaded.components).toEqual(f32.components);
      const unfitted = new NMF({ rank: 2, onIteration: () => undefined });
      const json = unfitted.toJSON();
      expect(json).toEqual({
        format: 'nmfkit-model',
        version: 2,
        options: { rank: 2 },
        components: null,
        nIter: null,
        reconstructionErr: null,
        objective: null,
        stopReason: null,
        seed: null,
        online: null,
      });
      expect(NMF.fromJSON(JSON.stringify(json)).isFitted).toBe(false);
    });

    it('read models saved in version 1 (no online state) as before', () => {
      const model = make();
      const { online, ...rest } = model.toJSON();
      expect(online).toBeNull();
      const loaded = NMF.fromJSON(JSON.stringify({ ...rest, version: 1 }));
      expect(loaded.components).toEqual(model.components);
      expect(loaded.transform(V2)).toEqual(model.transform(V2));
    });

    it('refuse bad, foreign and newer models with an error naming the field', () => {
      const good = make().toJSON() as unknown as Record<string, unknown>;
      const data = (good.components as { data: number[] }).data;
      const components = good.components as Record<string, unknown>;
      const cases: [unknown, RegExp, string][] = [
        ['{"format":', /^json is not JSON text/, 'NMFKIT_INVALID_VALUE'],
        [42, /^json must be a model saved by NMF's toJSON\(\)/, 'NMFKIT_INVALID_TYPE'],
        [[good], /^json must be a model/, 'NMFKIT_INVALID_TYPE'],
        [
          { ...good, format: 'sklearn-pickle' },
          /^json\.format must be one of 'nmfkit-model', got "sklearn-pickle"/,
          'NMFKIT_INVALID_VALUE',
        ],
        [{ ...good, format: undefined }, /^json\.format must be one of 'nmfkit-model', got undefined/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, version: 3 }, /^json\.version is 3: the model was saved by a newer nmfkit/, 'NMFKIT_MODEL_VERSION'],
        [{ ...good, version: 0 }, /^json\.version must be an integer/, 'NMFKIT_INVALID_VALUE'],
        [{ ...good, version: '1' }, /^json\.version must be a number/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, extra: 1 }, /^json has a field extra that no model of version 2 has/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, version: 1 }, /^json has a field online that no model of version 1 has/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, options: { rank: 3, maxiter: 2 } }, /^unknown option json\.options\.maxiter/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, options: { rank: -3 } }, /^json\.options\.rank must be an integer/, 'NMFKIT_INVALID_VALUE'],
        [{ ...good, options: undefined }, /^json\.options must be an object/, 'NMFKIT_INVALID_TYPE'],
        [{ ...good, components: [[1, 2, 3]] }, /^json\.components must be W as \{ rows, cols, data \} or null/, 'NMFKIT_INVALID_TYPE'],
        [
          { ...good, components: { ...components, cols: 2, data: data.slice(0, 24) } },
          /^json\.components\.cols must be json\.options\.rank = 3/,
          'NMFKIT_INVALID_VALUE',
        ],
        [
          { ...good, components: { ...components, data: data.slice(1) } },
          /^json\.components\.data has 35 entries, but json\.components\.rows × json\.components\.cols = 12×3 = 36/,
          'NMFKIT_INVALID_VALUE',
        ],
        [
          { ...good, components: { ...components, data: [-1, ...data.slice(1)] } },
          /^json\.components must be finite and ≥ 0, but json\.components\.data\[0\] \(row 0, column 0\) is -1/,
          'NMFKIT_INVALID_VALUE',
        ],
        [
          { ...good, components: { ...components, data: [Infinity, ...data.slice(1)] } },
          /json\.components\.data\[0\] \(row 0, column 0\) is Infinity/,
          'NMFKIT_INVALID_VALUE',
        ],
        [
          JSON.stringify({ ...good, components: { ...components, data: [NaN, ...data.slice(1)] } }),
          /^json\.components\.data\[0\] \(row 0, column 0\) must be a number, got null/,
          'NMFKIT_INVALID_TYPE',
        ],
        [{ ...good, nIter: -1 }, /^json\.nIter must be an integer/, 'NMFKIT_INVALID_VALUE'],
        [{ ...good, reconstructionErr: NaN }, /^json\.reconstructionErr must be a finite number ≥ 0/, 'NMFKIT_INVALID_VALUE'],
        [{ ...good, objective: null }, /^json\.objective must be a number, got null/, 'NMFKIT_INVALID_TYPE'],
        [
          { ...good, stopReason: 'abort' },
          /^json\.stopReason must be one of 'tol', 'maxIter', 'maxTime', 'callback'/,
          'NMFKIT_INVALID_VALUE',
        ],
        [{ ...good, seed: 0.5 }, /^json\.seed must be a safe integer or null/, 'NMFKIT_INVALID_VALUE'],
        [
          { ...good, components: null },
          /^json\.components is null \(a model that is not fitted\), but json\.nIter is \d+/,
          'NMFKIT_INVALID_VALUE',
        ],
      ];
      for (const [json, message, code] of cases) {
        const error = catchError(() => NMF.fromJSON(json as never));
        const context = typeof json === 'string' ? json.slice(0, 60) : JSON.stringify(json)?.slice(0, 80);
        expect((error as Error | undefined)?.message, context).toMatch(message);
        expect(codeOf(error), context).toBe(code);
        coded(error, context ?? '');
      }
    });
  });
});
