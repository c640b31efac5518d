/**
 * NMFD on both backends (native at 1 and 2 threads, wasm), sync and async, against the plain reference
 * (test/reference/nmfd.ts) and libnmfd's own numbers (test/fixtures/libnmfd, scripts/make-nmfd-fixture.py): 1e-9.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nmfd, nmfdSync, reconstructNmfd, wienerMasks, type Matrix, type NmfdOptions } from '../../src/index.js';
import { BACKENDS, backendAvailable, closeTo, relativeError } from '../support/helpers.js';
import { klDivergence, model, nmfdReference } from '../reference/nmfd.js';
import { Random } from '../../src/random.js';

interface LibnmfdCase {
  name: string;
  K: number;
  N: number;
  R: number;
  T: number;
  iterations: number;
  fixW: boolean;
  fixH: boolean;
  V: number[][];
  W0: number[][][];
  H0: number[][];
  scale: number;
  W: number[][][];
  H: number[][];
  parts: number[][][];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/libnmfd/nmfd.json', import.meta.url), 'utf8')) as { cases: LibnmfdCase[] };
const EPS = 2 ** -52;
const flat = (m: number[][] | number[][][]): number[] => (m as unknown[]).flat(2) as number[];
const runs = [
  { backend: 'native', threads: 1 },
  { backend: 'native', threads: 2 },
  { backend: 'wasm', threads: 1 },
] as const;

function randomRows(rows: number, cols: number, seed: number, zeros = 0): number[][] {
  const random = new Random(seed);
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => (random.nextDouble() < zeros ? 0 : random.nextDouble() * 3)),
  );
}

/** The options that replay a case (its W0, and H0 in V's units) on one backend. */
function replay(
  c: { W0: number[][][]; H0: number[][]; iterations: number; fixW?: boolean; fixH?: boolean },
  scale: number,
  backend: 'native' | 'wasm',
  threads: number,
): NmfdOptions {
  return {
    W: c.W0,
    H: c.H0.map((row) => row.map((h) => h * scale)),
    maxIter: c.iterations,
    updateW: !c.fixW,
    updateH: !c.fixH,
    backend,
    threads,
    errorEvery: 1,
  };
}

describe('the NMFD reference', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))("reproduces libnmfd's nmfd on %s", (_name, c) => {
    const ref = nmfdReference(c.V, c.W0, c.H0, c.iterations, EPS, c.fixW, c.fixH);
    expect(relativeError(flat(ref.W), flat(c.W))).toBeLessThan(1e-9);
    expect(relativeError(flat(ref.H), flat(c.H))).toBeLessThan(1e-9);
    expect(relativeError(flat(ref.parts), flat(c.parts))).toBeLessThan(1e-9);
    expect(ref.scale).toBeCloseTo(c.scale, 9);
  });
});

describe.each(runs)('nmfd on $backend, $threads thread(s)', ({ backend, threads }) => {
  const available = backendAvailable(backend);

  it.runIf(available).each(fixture.cases.map((c) => [c.name, c] as const))("reproduces libnmfd's numbers on %s", (_name, c) => {
    const result = nmfdSync(c.V, replay(c, c.scale, backend, threads));
    expect(result.iterations).toBe(c.iterations);
    expect(closeTo(flat(result.W.map((m) => rowsOf(m))), flat(c.W))).toBe(true);
    expect(
      closeTo(
        result.H.data,
        flat(c.H).map((h) => h * c.scale),
      ),
    ).toBe(true);
    c.parts.forEach((part, r) => {
      // libnmfd's parts are of the scaled target, each with + EPS.
      const mine = result.reconstruct(r).data.map((x) => x / c.scale + EPS);
      expect(closeTo(mine, flat(part)), `component ${r}`).toBe(true);
    });
  });

  it.runIf(available)('matches the reference from its own initialisation, with objective and errors', () => {
    const V = randomRows(14, 33, 5, 0.2);
    const options: NmfdOptions = { rank: 3, templateFrames: 5, seed: 11, maxIter: 12, backend, threads, errorEvery: 4, init: 'random' };
    const result = nmfdSync(V, options);
    const W0 = nmfdSync(V, { ...options, maxIter: 0 });
    // maxIter 0 returns the initial templates and H in V's units.
    const scale = EPS + V.flat().reduce((a, b) => a + b, 0);
    const ref = nmfdReference(
      V,
      W0.W.map(rowsOf),
      rowsOf(W0.H).map((row) => row.map((h) => h / scale)),
      12,
      EPS,
    );
    expect(closeTo(flat(result.W.map(rowsOf)), flat(ref.W))).toBe(true);
    expect(
      closeTo(
        result.H.data,
        flat(ref.H).map((h) => h * scale),
      ),
    ).toBe(true);
    const Vs = V.map((row) => row.map((v) => v / scale));
    const L = model(ref.W, ref.H, EPS);
    expect(result.objective / scale).toBeCloseTo(klDivergence(Vs, L), 9);
    const approx = result.reconstruct();
    const frob = Math.sqrt(V.flat().reduce((s, v, i) => s + (v - approx.data[i]!) ** 2, 0));
    expect(result.frobeniusError).toBeCloseTo(frob, 9);
    expect(Array.from(result.objectiveHistory.iterations)).toEqual([0, 4, 8, 12]);
    expect(result.hChange.length).toBe(12);
    expect(result.stopReason).toBe('maxIter');
  });

  it.runIf(available)(
    "the stop rules: 'objective', 'change' and 'relativeChange' stop early on their own terms, 'none' runs maxIter",
    () => {
      const V = randomRows(12, 30, 6);
      const base: NmfdOptions = { rank: 2, templateFrames: 3, seed: 5, maxIter: 200, backend, threads, errorEvery: 1 };
      const all = nmfdSync(V, { ...base, stop: 'none' });
      expect(all.iterations).toBe(200);
      const byObjective = nmfdSync(V, { ...base, stop: 'objective', tol: 1e-3 });
      expect(byObjective.stopReason).toBe('tol');
      const f = byObjective.objectiveHistory.values;
      const n = f.length - 1;
      expect((f[n - 1]! - f[n]!) / f[n - 1]!).toBeLessThan(1e-3);
      expect((f[n - 2]! - f[n - 1]!) / f[n - 2]!).toBeGreaterThanOrEqual(1e-3);
      const byChange = nmfdSync(V, { ...base, stop: 'change', tol: 0.2 });
      expect(byChange.stopReason).toBe('tol');
      const last = byChange.iterations - 1;
      expect(byChange.hChange[last]! < 0.2 && byChange.wChange[last]! < 0.2).toBe(true);
      expect(byChange.iterations).toBeLessThan(200);
      // 'relativeChange': stops after the first iteration whose ‖ΔX‖_F / ‖X‖_F ≤ tol for W and H, checked against
      // the factors of the fits that run one and two iterations fewer.
      const byRelative = nmfdSync(V, { ...base, stop: 'relativeChange', tol: 1e-2 });
      const stoppedAt = byRelative.iterations;
      expect(byRelative.stopReason).toBe('tol');
      expect(stoppedAt).toBeGreaterThan(2);
      expect(stoppedAt).toBeLessThan(200);
      const [before, twoBefore] = [stoppedAt - 1, stoppedAt - 2].map((maxIter) => nmfdSync(V, { ...base, stop: 'none', maxIter }));
      const relative = (a: Float64Array, b: Float64Array) => {
        let d = 0;
        let x = 0;
        a.forEach((v, i) => {
          d += (v - b[i]!) ** 2;
          x += v * v;
        });
        return Math.sqrt(d / x);
      };
      const flat = (r: typeof all) => Float64Array.from(r.W.flatMap((w) => Array.from(w.data)));
      const change = (a: typeof all, b: typeof all) =>
        Math.max(relative(a.H.data as Float64Array, b.H.data as Float64Array), relative(flat(a), flat(b)));
      expect(change(byRelative, before!)).toBeLessThanOrEqual(1e-2 * (1 + 1e-9));
      expect(change(before!, twoBefore!)).toBeGreaterThan(1e-2);
    },
  );

  it.runIf(available)('runs off the thread with the same numbers, and progress and abort work', async () => {
    const V = randomRows(10, 40, 8);
    const options: NmfdOptions = { rank: 2, templateFrames: 4, seed: 3, maxIter: 20, backend, threads };
    const sync = nmfdSync(V, options);
    const seen: number[] = [];
    const async_ = await nmfd(V, { ...options, onIteration: (info) => void seen.push(info.iteration) });
    expect(Array.from(async_.H.data)).toEqual(Array.from(sync.H.data));
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const stopped = await nmfd(V, { ...options, onIteration: (info) => info.iteration < 5 });
    expect(stopped.iterations).toBe(5);
    expect(stopped.stopReason).toBe('callback');
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(nmfd(V, { ...options, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

it.runIf(BACKENDS.every(backendAvailable))('native at 2 threads ≡ wasm on a problem large enough to split', () => {
  const V = randomRows(96, 200, 21, 0.1);
  const options: NmfdOptions = { rank: 4, templateFrames: 6, seed: 2, maxIter: 15 };
  const a = nmfdSync(V, { ...options, backend: 'native', threads: 2 });
  const b = nmfdSync(V, { ...options, backend: 'wasm' });
  expect(closeTo(a.H.data, b.H.data)).toBe(true);
  expect(closeTo(flat(a.W.map(rowsOf)), flat(b.W.map(rowsOf)))).toBe(true);
  expect(a.objective).toBeCloseTo(b.objective, 6);
});

it('reconstructNmfd of a structured clone equals the result method, and the components add up', () => {
  const V = randomRows(6, 15, 4);
  const result = nmfdSync(V, { rank: 3, templateFrames: 3, seed: 9, maxIter: 5 });
  const clone = structuredClone(result);
  expect(Array.from(reconstructNmfd(clone, [0, 2]).data)).toEqual(Array.from(result.reconstruct([0, 2]).data));
  const sum = [0, 1, 2].map((r) => result.reconstruct(r).data).reduce((a, b) => a.map((x, i) => x + b[i]!));
  expect(closeTo(sum, result.reconstruct().data, 1e-12)).toBe(true);
});

it('wienerMasks are Â_r^α / (ε + Σ Â^α) and leave their inputs alone', () => {
  const a: Matrix = { rows: 2, cols: 2, data: Float64Array.of(1, 0, 4, 2) };
  const b: Matrix = { rows: 2, cols: 2, data: Float64Array.of(3, 0, 4, 6) };
  const [ma, mb] = wienerMasks([a, b], 2);
  expect(ma!.data[0]).toBeCloseTo(1 / 10, 15);
  expect(mb!.data[3]).toBeCloseTo(36 / 40, 15);
  expect(ma!.data[1]).toBe(0);
  expect(Array.from(a.data)).toEqual([1, 0, 4, 2]);
});

function rowsOf(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}
