/**
 * Below the facade: the native glue (native/addon.cc), called directly, checks its own arguments and sizes before
 * allocating anything — wrong types, wrong lengths, absurd sizes, NaN numbers, wrong receivers, use after dispose,
 * buffers detached during runAsync, specification slots that encode no valid value — and never crashes the process.
 * It checks what memory safety needs; the values themselves are the facade's to validate (test/hostile/fits.test.ts).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync } from '../../src/index.js';
import { encodeSpec, FIT_SPEC_FIELDS, type FitSpec } from '../../src/spec.js';
import { testSpec } from '../support/fit-spec.js';
import { backendAvailable } from '../support/helpers.js';
import { catchError, coded, detachedFloat64Array, JUNK, named, rssGrowth } from './hostile-values.js';

interface RawFit {
  run(...args: unknown[]): number;
  runAsync(...args: unknown[]): Promise<number>;
  finish(...args: unknown[]): unknown;
  finishAsync(...args: unknown[]): Promise<unknown>;
  cancel(): void;
  dispose(): void;
}
interface RawAddon {
  Fit: new (...args: unknown[]) => RawFit;
  [name: string]: unknown;
}

describe.runIf(backendAvailable('native'))('the native glue (native/addon.cc), called directly', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const addon = createRequire(import.meta.url)('node-gyp-build')(root) as RawAddon;
  const f64 = (n: number): Float64Array => new Float64Array(n).fill(0.5);
  const spec = (changes: Partial<FitSpec> = {}): Float64Array => encodeSpec(testSpec(2, 3, 2, changes));
  const good = (): unknown[] => [spec(), f64(6), f64(4), f64(6), null, new Uint8Array(2)];
  /** The specification with one slot overwritten. */
  const withSlot = (name: string, value: number): Float64Array => {
    const slots = spec();
    slots[FIT_SPEC_FIELDS.findIndex((f) => f.name === name)] = value;
    return slots;
  };

  const fails = (f: () => unknown, kind: typeof TypeError | typeof RangeError | typeof Error, message: RegExp): void => {
    const error = catchError(f);
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
    coded(error, String(message));
  };

  it('the constructor: wrong types, wrong lengths, absurd sizes (before any allocation)', () => {
    const names = ['spec', 'V', 'W', 'H', 'mask', 'fixedColumnsW'];
    for (let i = 0; i < names.length; i++) {
      for (const [what, make] of JUNK) {
        const args = good();
        args[i] = make();
        const error = catchError(() => new addon.Fit(...args));
        // null and undefined are what an unmasked fit passes as its mask.
        if (error === undefined) {
          expect(i === 4 && (args[i] === null || args[i] === undefined), `${names[i]} = ${what}`).toBe(true);
          continue;
        }
        named(error, new RegExp(names[i]!), `Fit argument ${names[i]}`);
      }
    }
    fails(() => new addon.Fit(spec(), f64(5), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /V has length 5, expected 6/);
    fails(
      () => new addon.Fit(spec(), new Int32Array(6), f64(4), f64(6), null, new Uint8Array(2)),
      TypeError,
      /V must be a Float64Array or a Float32Array/,
    );
    fails(
      () => new addon.Fit(spec(), new Float32Array(5), f64(4), f64(6), null, new Uint8Array(2)),
      RangeError,
      /V has length 5, expected 6/,
    );
    fails(() => new addon.Fit(spec(), f64(6), new Float32Array(4), f64(6), null, new Uint8Array(2)), TypeError, /W must be a Float64Array/);
    fails(() => new addon.Fit(spec(), detachedFloat64Array(6), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /V has length 0/);
    fails(() => new addon.Fit(spec().subarray(1), f64(6), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /spec has length/);
    fails(
      () => new addon.Fit(spec({ masked: true }), f64(6), f64(4), f64(6), null, new Uint8Array(2)),
      TypeError,
      /mask must be a Float64Array/,
    );
    fails(() => new addon.Fit(spec({ masked: true }), f64(6), f64(4), f64(6), f64(5), new Uint8Array(2)), RangeError, /mask has length 5/);
    fails(() => new addon.Fit(spec(), f64(6), f64(4), f64(6), f64(6), new Uint8Array(2)), TypeError, /mask must be null/);
    fails(() => new addon.Fit(spec(), f64(6), f64(4), f64(6), null, new Uint8Array(3)), RangeError, /fixedColumnsW has length 3/);
    // Sizes before arrays: nothing is allocated for a shape whose buffers overflow the address space.
    const before = process.memoryUsage().rss;
    fails(
      () => new addon.Fit(spec({ rows: 2 ** 30, cols: 2 ** 30, rank: 2 ** 30 }), f64(0), f64(0), f64(0), null, new Uint8Array(0)),
      RangeError,
      /too large/,
    );
    fails(
      () => new addon.Fit(spec({ rows: 2 ** 31 - 1, cols: 2 ** 31 - 1, rank: 1 }), f64(0), f64(0), f64(0), null, new Uint8Array(1)),
      RangeError,
      /too large/,
    );
    fails(() => new addon.Fit(spec({ rows: 2 ** 33 }), f64(0), f64(0), f64(0), null, new Uint8Array(2)), RangeError, /too large/);
    fails(() => new addon.Fit(spec({ blockRows: 2 ** 52 }), f64(6), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /too large/);
    fails(() => new addon.Fit(spec({ rows: 0 }), f64(0), f64(0), f64(0), null, new Uint8Array(2)), RangeError, /at least 1/);
    expect(rssGrowth(before)).toBeLessThan(16 * 2 ** 20);
    // Without `new`: an exception, not a crash (node-addon-api's own TypeError, before any code of nmfkit's runs).
    expect(catchError(() => (addon.Fit as unknown as (...a: unknown[]) => unknown)(...good()))).toBeInstanceOf(TypeError);
  });

  it('an NMFD specification: W of T·K·R entries, T in [1, cols], float64 only, no mask, huge T refused before allocating', () => {
    const nmfd = (changes: Partial<FitSpec> = {}): Float64Array =>
      spec({ solver: 'nmfd', beta: 1, spectralError: false, templateFrames: 2, ...changes });
    fails(() => new addon.Fit(nmfd(), f64(6), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /W has length 4, expected 8/);
    fails(() => new addon.Fit(nmfd({ templateFrames: 4 }), f64(6), f64(16), f64(6), null, new Uint8Array(2)), RangeError, /templateFrames/);
    fails(() => new addon.Fit(nmfd({ dtype: 'float32' }), f64(6), f64(8), f64(6), null, new Uint8Array(2)), RangeError, /float64/);
    // NMFD has no mask part: a masked specification is refused before its mask is copied (found by fuzzing).
    fails(() => new addon.Fit(nmfd({ masked: true }), f64(6), f64(8), f64(6), f64(6), new Uint8Array(2)), RangeError, /no mask/);
    fails(() => new addon.Fit(spec({ templateFrames: 2 }), f64(6), f64(8), f64(6), null, new Uint8Array(2)), RangeError, /templateFrames/);
    fails(
      () =>
        new addon.Fit(
          nmfd({ rows: 2 ** 31 - 1, cols: 2 ** 31 - 1, rank: 2 ** 31 - 1, templateFrames: 2 ** 31 - 1 }),
          f64(0),
          f64(0),
          f64(0),
          null,
          new Uint8Array(0),
        ),
      RangeError,
      /too large/,
    );
    const fit = new addon.Fit(nmfd(), f64(6), f64(8), f64(6), null, new Uint8Array(2));
    expect(fit.run(3, new Float64Array(3), new Float64Array(3), 0)).toBe(3);
    expect((fit.finish() as { W: Float64Array }).W.length).toBe(8);
    fit.dispose();
  });

  it('a CSR pattern: what memory safety needs is checked (offsets from 0 to nnz, never decreasing, indices in range)', () => {
    // A 2×3 V with 3 stored entries: row 0 {2}, row 1 {0, 1}.
    const csr = spec({ storage: 'csr', nnz: 3, masked: true });
    const make =
      (indptr: unknown, indices: unknown, V: Float64Array = f64(3)) =>
      () =>
        new addon.Fit(csr, V, f64(4), f64(6), null, new Uint8Array(2), indptr, indices);
    const fit = make(Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1))();
    fit.dispose();
    fails(make(null, Int32Array.of(2, 0, 1)), TypeError, /indptr must be an Int32Array/);
    fails(make(Int32Array.of(0, 1, 3), Uint32Array.of(2, 0, 1)), TypeError, /indices must be an Int32Array/);
    fails(make(Int32Array.of(0, 3), Int32Array.of(2, 0, 1)), RangeError, /indptr has length 2, expected K \+ 1/);
    fails(make(Int32Array.of(0, 1, 3), Int32Array.of(2, 0)), RangeError, /indices has length 2, expected nnz/);
    fails(make(Int32Array.of(1, 1, 3), Int32Array.of(2, 0, 1)), RangeError, /indptr must run from 0 to nnz/);
    fails(make(Int32Array.of(0, 1, 2), Int32Array.of(2, 0, 1)), RangeError, /indptr must run from 0 to nnz/);
    fails(make(Int32Array.of(0, 4, 3), Int32Array.of(2, 0, 1)), RangeError, /indptr decreases at 2/);
    fails(make(Int32Array.of(0, 1, 3), Int32Array.of(3, 0, 1)), RangeError, /indices\[0\] is out of range/);
    fails(make(Int32Array.of(0, 1, 3), Int32Array.of(2, -1, 1)), RangeError, /indices\[1\] is out of range/);
    fails(make(Int32Array.of(0, 1, 3), Int32Array.of(2, 0, 1), f64(6)), RangeError, /V has length 6, expected 3/);
    fails(
      () => new addon.Fit(spec({ storage: 'csr', nnz: 2 ** 31 }), f64(6), f64(4), f64(6), null, new Uint8Array(2), null, null),
      RangeError,
      /./,
    );
  });

  it('specification slots that encode no valid value are refused, naming the field', () => {
    for (const field of FIT_SPEC_FIELDS) {
      const invalid =
        field.type === 'size'
          ? [-1, 1.5, NaN, Infinity, 2 ** 60]
          : field.type === 'choice'
            ? [-1, 0.5, NaN, field.values.length, 99]
            : field.type === 'boolean'
              ? [2, -1, 0.5, NaN]
              : [];
      for (const value of invalid) {
        fails(
          () => new addon.Fit(withSlot(field.name, value), f64(6), f64(4), f64(6), null, new Uint8Array(2)),
          RangeError,
          new RegExp(`spec\\.${field.name}`),
        );
      }
    }
    fails(() => new addon.Fit(spec({ errorEvery: 0 }), f64(6), f64(4), f64(6), null, new Uint8Array(2)), RangeError, /spec\.errorEvery/);
    // run's objective array: the wrong type, too short for offset + steps.
    const fit = new addon.Fit(...good());
    fails(() => fit.run(2, f64(4), f64(4), 0, new Float32Array(4)), TypeError, /objective/);
    fails(() => fit.run(4, f64(5), f64(5), 1, f64(4)), RangeError, /objective/);
    expect(fit.run(2, f64(4), f64(4), 0, undefined)).toBeGreaterThan(0);
    fit.dispose();
  });

  it('methods: wrong arguments, wrong receivers, use after dispose, buffers detached during runAsync', async () => {
    const fit = new addon.Fit(...good());
    const out = (): Float64Array => new Float64Array(8);
    for (const [, make] of JUNK) {
      for (const args of [
        [make(), out(), out(), 0],
        [1, make(), out(), 0],
        [1, out(), make(), 0],
        [1, out(), out(), make()],
      ]) {
        const error = catchError(() => fit.run(...args));
        if (error === undefined) continue; // 2.5 → RangeError; but e.g. 2^31 steps with 8 slots is a length error too
        expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
        coded(error, `run(…) with a hostile argument`);
      }
    }
    fails(() => fit.run(4, out().subarray(0, 3), out(), 0), RangeError, /hChange has length 3 but offset \+ steps = 4/);
    fails(() => fit.run(1, out(), out(), 2 ** 53), RangeError, /offset/);
    // Wrong receivers: a plain object, undefined, an object with Fit's prototype that wraps nothing.
    const proto = Object.getPrototypeOf(fit) as Record<string, (...a: unknown[]) => unknown>;
    for (const method of ['run', 'runAsync', 'finish', 'finishAsync', 'cancel', 'dispose']) {
      for (const receiver of [{}, undefined, Object.create(proto), 42]) {
        const error = catchError(() => proto[method]!.call(receiver, 1, out(), out(), 0));
        expect(error, `${method} on ${String(receiver)}`).toBeInstanceOf(Error);
      }
    }
    // Detaching the output arrays while runAsync runs: the result is refused, nothing is written.
    const h = out();
    const w = out();
    const pending = fit.runAsync(4, h, w, 0);
    structuredClone(h.buffer, { transfer: [h.buffer] });
    await expect(pending).rejects.toThrow(/detached/);
    coded(await pending.catch((e: unknown) => e), 'runAsync with a detached output');
    // Busy, finished and disposed fits refuse work instead of touching freed memory.
    const busy = fit.runAsync(1, out(), out(), 0);
    fails(() => fit.run(1, out(), out(), 0), Error, /busy/);
    await busy;
    fit.finish();
    fails(() => fit.run(1, out(), out(), 0), Error, /finished/);
    fit.dispose();
    fit.dispose();
    fit.cancel();
    fails(() => fit.run(1, out(), out(), 0), Error, /disposed/);
    fails(() => fit.finish(), Error, /disposed/);
    fails(() => fit.runAsync(1, out(), out(), 0), Error, /disposed/);
  });

  it('a fit disposed or dropped while runAsync is pending finishes safely', async () => {
    for (let i = 0; i < 50; i++) {
      const fit = new addon.Fit(spec({ rows: 20, cols: 30, rank: 4, tol: 0 }), f64(600), f64(80), f64(120), null, new Uint8Array(4));
      const pending = fit.runAsync(200, new Float64Array(200), new Float64Array(200), 0);
      if (i % 2) fit.dispose();
      else fit.cancel();
      const done = await pending;
      expect(done).toBeLessThanOrEqual(200);
    }
  });

  it('the other exports refuse hostile arguments', () => {
    for (const [name, value] of Object.entries(addon)) {
      if (typeof value !== 'function' || name === 'Fit' || name === 'Lane') continue;
      for (const [what, make] of JUNK) {
        const error = catchError(() => (value as (...a: unknown[]) => unknown)(make(), make(), make(), make(), make()));
        if (name === 'blasInfo') {
          expect(error, `blasInfo(${what})`).toBeUndefined();
          continue;
        }
        if (error !== undefined) {
          expect(error instanceof TypeError || error instanceof RangeError, `${name}(${what}): ${String(error)}`).toBe(true);
          coded(error, `${name}(${what})`);
        }
      }
    }
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(0), RangeError, /threads/);
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(1e6), RangeError, /threads/);
  });

  it('runGroupAsync: refuses what is no list of idle, distinct Fits before it marks any busy; runs each like run + finish', async () => {
    const runGroup = addon.runGroupAsync as (fits: unknown, maxIter: unknown) => Promise<unknown[]>;
    const V = new Float64Array(6).map((_, i) => 0.25 + i / 8);
    const make = (): RawFit => new addon.Fit(spec(), V.slice(), f64(4), f64(6), null, new Uint8Array(2));
    let a = make();
    const b = make();
    fails(() => runGroup('fits', 3), TypeError, /fits must be an array/);
    fails(() => runGroup([a, {}], 3), TypeError, /fits\[1\] must be a Fit/);
    fails(() => runGroup([a, Object.create(a) as unknown], 3), TypeError, /fits\[1\] must be a Fit/);
    fails(() => runGroup([a, a], 3), Error, /fits\[1\] is listed twice/);
    fails(() => runGroup([a, b], -1), RangeError, /maxIter/);
    fails(() => runGroup([a, b], 2.5), RangeError, /maxIter/);
    const disposed = make();
    disposed.dispose();
    fails(() => runGroup([a, disposed], 3), Error, /fit is disposed/);
    // A getter that disposes a fit listed before it: the fit is refused, not run.
    const listed = [a, make()];
    Object.defineProperty(listed, 1, { get: () => (a.dispose(), b) });
    fails(() => runGroup(listed, 3), Error, /fit is disposed/);
    a = make();
    // None of the refused calls left a or b busy: they run.
    const pending = runGroup([a, b], 3);
    fails(() => a.run(1, f64(1), f64(1), 0), Error, /fit is busy/);
    fails(() => runGroup([b], 3), Error, /fit is busy/);
    const runs = (await pending) as { executed: number; hChange: Float64Array; objective: Float64Array; result: { W: Float64Array } }[];
    // The same fit run on its own, synchronously.
    const alone = make();
    const h = new Float64Array(3);
    expect(alone.run(3, h, new Float64Array(3), 0, new Float64Array(3))).toBe(3);
    const finished = alone.finish() as { W: Float64Array };
    for (const ran of runs) {
      expect(ran.executed).toBe(3);
      expect(ran.hChange).toEqual(h);
      expect(ran.result.W).toEqual(finished.W);
    }
    fails(() => a.run(1, f64(1), f64(1), 0), Error, /fit is finished/);
    // A cancelled fit does not run; its entry is an Error, the others' are runs.
    const [c, d] = [make(), make()];
    c.cancel();
    const outcomes = await runGroup([c, d], 0);
    expect(outcomes[0]).toBeInstanceOf(Error);
    coded(outcomes[0], 'a cancelled fit of a group');
    expect((outcomes[1] as { executed: number }).executed).toBe(0);
    for (const fit of [a, b, c, d, alone]) fit.dispose();
  });

  it('Lane: checks its groups as runGroupAsync does; appended groups join the run in progress, each settling on its own', async () => {
    interface Outcome {
      executed: number;
      hChange: Float64Array;
      result: { W: Float64Array };
    }
    interface RawLane {
      start(fits: unknown, maxIter: unknown): { done: Promise<unknown[]>; drained?: Promise<void> };
      append(fits: unknown, maxIter: unknown): Promise<unknown[]> | undefined;
    }
    const Lane = addon.Lane as new () => RawLane;
    const V = new Float64Array(6).map((_, i) => 0.25 + i / 8);
    const make = (): RawFit => new addon.Fit(spec(), V.slice(), f64(4), f64(6), null, new Uint8Array(2));
    const lane = new Lane();
    const [a, b] = [make(), make()];
    fails(() => lane.start('fits', 3), TypeError, /fits must be an array/);
    fails(() => lane.append([a, {}], 3), TypeError, /fits\[1\] must be a Fit/);
    fails(() => lane.start([a, a], 3), Error, /fits\[1\] is listed twice/);
    fails(() => lane.append([a], -1), RangeError, /maxIter/);
    for (const method of ['start', 'append'] as const) {
      for (const [what, make] of JUNK) {
        const error = catchError(() => lane[method](make(), make()));
        expect(error instanceof TypeError || error instanceof RangeError, `lane.${method}(${what}): ${String(error)}`).toBe(true);
        coded(error, `lane.${method}(${what})`);
      }
    }
    // No run in progress: append gives nothing back and leaves the fits idle.
    expect(lane.append([a, b], 3)).toBeUndefined();
    const groups = Array.from({ length: 6 }, () => [make(), make()]);
    const first = lane.start(groups[0], 200);
    expect(first.drained).toBeInstanceOf(Promise);
    fails(() => lane.append([groups[0]![0]], 3), Error, /fit is busy/);
    // Groups given while the run is in progress join it (or, should its thread have found nothing left, are refused
    // and stay idle); each settles with the same outcomes as a fit run on its own.
    const runs: Promise<void>[] = [first.drained!];
    const joined = groups.slice(1).map((fits) => {
      const done = lane.append(fits, 200);
      if (done) return done;
      const started = lane.start(fits, 200);
      if (started.drained) runs.push(started.drained);
      return started.done;
    });
    const alone = make();
    const h = new Float64Array(200);
    const executed = alone.run(200, h, new Float64Array(200), 0, new Float64Array(200));
    const finished = alone.finish() as { W: Float64Array };
    for (const outcomes of await Promise.all([first.done, ...joined])) {
      for (const ran of outcomes as Outcome[]) {
        expect(ran.executed).toBe(executed);
        expect(ran.hChange).toEqual(h.subarray(0, executed));
        expect(ran.result.W).toEqual(finished.W);
      }
    }
    await Promise.all(runs);
    // A drained lane takes no more groups; a new run starts.
    expect(lane.append([a], 3)).toBeUndefined();
    const next = lane.start([a, b], 3);
    expect(((await next.done) as Outcome[]).map((ran) => ran.executed)).toEqual([3, 3]);
    await next.drained;
    for (const fit of [a, b, alone, ...groups.flat()]) fit.dispose();
  });

  it('allocateMatrix gives zeroed Float64Arrays of the length asked for, and refuses bad lengths before allocating', () => {
    const allocate = addon.allocateMatrix as (n: unknown) => Float64Array;
    // Below and above the arena's mapping threshold (4 MiB = 2^19 entries).
    for (const length of [1, 1000, 2 ** 19, 2 ** 19 + 3]) {
      const a = allocate(length);
      expect(a).toBeInstanceOf(Float64Array);
      expect(a.length).toBe(length);
      expect(a.every((x) => x === 0)).toBe(true);
      a.fill(7); // writable to the end
      expect(a[length - 1]).toBe(7);
    }
    fails(() => allocate(0), RangeError, /length/);
    fails(() => allocate(2 ** 31), RangeError, /length must be at most 2\^31 − 1/);
    fails(() => allocate(2 ** 53), RangeError, /length/);
    fails(() => allocate(-1), RangeError, /length/);
    fails(() => allocate(1.5), RangeError, /length/);
  });

  it('releaseMatrix frees only what allocateMatrix gave (detaching it), and leaves every other array as it is', () => {
    const allocate = addon.allocateMatrix as (n: number) => Float64Array;
    const release = addon.releaseMatrix as (a: unknown) => void;
    for (const length of [1000, 2 ** 19]) {
      const a = allocate(length);
      release(a);
      expect(a.length).toBe(0);
      expect(a.buffer.byteLength).toBe(0);
      release(a); // a second release does nothing
    }
    const own = Float64Array.from([1, 2, 3]);
    release(own);
    expect([...own]).toEqual([1, 2, 3]);
    const own32 = Float32Array.from([1, 2, 3]);
    release(own32);
    expect([...own32]).toEqual([1, 2, 3]);
    const view = new Float64Array(allocate(8).buffer, 8, 2); // another view on an allocateMatrix buffer
    view.fill(5);
    release(new Float64Array(8)); // the same length, other memory
    expect([...view]).toEqual([5, 5]);
    fails(() => release([1, 2]), TypeError, /array/);
  });

  it('an async fit frees the copy of V that the facade made for it once the fit holds its own', async () => {
    // V of 2^19 entries and more is copied into allocateMatrix memory (src/backends/native.ts); the caller's V is
    // never that copy, so it keeps its entries, and the fit is the synchronous one's.
    const V = { rows: 1024, cols: 520, data: Float64Array.from({ length: 1024 * 520 }, (_, k) => ((k * 7919) % 1000) / 1000) };
    const before = V.data.slice();
    const options = { rank: 3, maxIter: 4, seed: 5, backend: 'native' as const };
    const async = await nmf(V, options);
    expect(V.data).toEqual(before);
    const sync = nmfSync(V, options);
    expect(async.W.data).toEqual(sync.W.data);
    expect(async.frobeniusError).toBe(sync.frobeniusError);
  });
});
