/**
 * Below the facade: the native glue (native/addon.cc), called directly, checks its own arguments and sizes before
 * allocating anything — wrong types, wrong lengths, absurd sizes, NaN numbers, wrong receivers, use after dispose,
 * buffers detached during runAsync, malformed algorithm objects — and never crashes the process.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendAvailable } from '../support/helpers.js';
import { catchError, detachedFloat64Array, JUNK, named, rssGrowth } from './hostile-values.js';

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
  const good = (): unknown[] => [2, 3, 2, f64(6), f64(4), f64(6), 2 ** -23, 1e-3];

  const fails = (f: () => unknown, kind: typeof TypeError | typeof RangeError | typeof Error, message: RegExp): void => {
    const error = catchError(f);
    expect(error, String(message)).toBeInstanceOf(kind);
    expect((error as Error).message).toMatch(message);
  };

  it('the constructor: wrong types, wrong lengths, absurd sizes (before any allocation), NaN numbers', () => {
    const names = ['rows', 'cols', 'rank', 'V', 'W', 'H', 'eps', 'tol'];
    for (let i = 0; i < 8; i++) {
      for (const [, make] of JUNK) {
        const args = good();
        args[i] = make();
        const error = catchError(() => new addon.Fit(...args));
        // Some junk is a valid number for eps or tol (2^53, 2.5); everything else is refused, naming the argument.
        if (error === undefined) {
          expect(i).toBeGreaterThanOrEqual(6);
          continue;
        }
        named(error, i < 3 ? new RegExp(`${names[i]}|too large`) : new RegExp(names[i]!), `Fit argument ${names[i]}`);
      }
    }
    fails(() => new addon.Fit(2, 3, 2, f64(5), f64(4), f64(6), 0, 0), RangeError, /V has length 5, expected 6/);
    fails(() => new addon.Fit(2, 3, 2, new Float32Array(6), f64(4), f64(6), 0, 0), TypeError, /V must be a Float64Array/);
    fails(() => new addon.Fit(2, 3, 2, detachedFloat64Array(6), f64(4), f64(6), 0, 0), RangeError, /V has length 0/);
    fails(() => new addon.Fit(2, 3, 2, f64(6), f64(4), f64(6), NaN, 0), RangeError, /eps/);
    fails(() => new addon.Fit(2, 3, 2, f64(6), f64(4), f64(6), 0, NaN), RangeError, /tol/);
    // Sizes before arrays: nothing is allocated for a shape whose buffers overflow the address space.
    const before = process.memoryUsage().rss;
    fails(() => new addon.Fit(2 ** 30, 2 ** 30, 2 ** 30, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large/);
    fails(() => new addon.Fit(2 ** 31 - 1, 2 ** 31 - 1, 1, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large/);
    fails(() => new addon.Fit(2 ** 33, 1, 1, f64(0), f64(0), f64(0), 0, 0), RangeError, /too large|rows/);
    expect(rssGrowth(before)).toBeLessThan(16 * 2 ** 20);
    // Without `new`: an exception, not a crash.
    fails(() => (addon.Fit as unknown as (...a: unknown[]) => unknown)(...good()), TypeError, /./);
  });

  it('methods: wrong arguments, wrong receivers, use after dispose, buffers detached during runAsync', async () => {
    const fit = new addon.Fit(...good());
    const out = (): Float64Array => new Float64Array(8);
    for (const [, make] of JUNK) {
      for (const args of [[make(), out(), out(), 0], [1, make(), out(), 0], [1, out(), make(), 0], [1, out(), out(), make()]]) {
        const error = catchError(() => fit.run(...args));
        if (error === undefined) continue; // 2.5 → RangeError; but e.g. 2^31 steps with 8 slots is a length error too
        expect(error instanceof TypeError || error instanceof RangeError, String(error)).toBe(true);
      }
    }
    fails(() => fit.run(4, out().subarray(0, 3), out(), 0), RangeError, /hChange has length 3 but offset \+ steps = 4/);
    fails(() => fit.run(1, out(), out(), 2 ** 53), RangeError, /offset/);
    fails(() => fit.finish('bogus'), RangeError, /normalize/);
    fails(() => fit.finish(Symbol('x')), TypeError, /normalize/);
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
    // Busy, finished and disposed fits refuse work instead of touching freed memory.
    const busy = fit.runAsync(1, out(), out(), 0);
    fails(() => fit.run(1, out(), out(), 0), Error, /busy/);
    await busy;
    fit.finish('none');
    fails(() => fit.run(1, out(), out(), 0), Error, /finished/);
    fit.dispose();
    fit.dispose();
    fit.cancel();
    fails(() => fit.run(1, out(), out(), 0), Error, /disposed/);
    fails(() => fit.finish('none'), Error, /disposed/);
    fails(() => fit.runAsync(1, out(), out(), 0), Error, /disposed/);
  });

  it('the algorithm object (FitAlgorithm): junk, fields of the wrong type or out of range, throwing reads', () => {
    const base = { beta: 2, solver: 'mu', l1W: 0, l2W: 0, l1H: 0, l2H: 0, updateW: true, updateH: true, stop: 'change', errorEvery: 1 };
    const make = (algorithm: unknown): RawFit => new addon.Fit(...good(), 'float64', 'auto', 0, algorithm);
    for (const [what, junk] of JUNK) named(catchError(() => make(junk())), /algorithm/, `algorithm ${what}`);
    const bad: [unknown, typeof TypeError | typeof RangeError, RegExp][] = [
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
      [new Proxy({}, { get: () => { throw new RangeError('trap'); } }), TypeError, /algorithm\.beta could not be read: trap/],
    ];
    for (const [algorithm, kind, message] of bad) fails(() => make(algorithm), kind, message);
    // A getter that detaches the mask's buffer before the mask is read: its length check sees the detached array.
    const mask = f64(6);
    const detaching = { ...base, beta: 1, get stop(): string { structuredClone(mask.buffer, { transfer: [mask.buffer] }); return 'change'; }, mask };
    fails(() => make(detaching), RangeError, /mask/);
    // run's objective array: the wrong type, too short for offset + steps.
    const fit = make(base);
    fails(() => fit.run(2, f64(4), f64(4), 0, new Float32Array(4)), TypeError, /objective/);
    fails(() => fit.run(4, f64(5), f64(5), 1, f64(4)), RangeError, /objective/);
    expect(fit.run(2, f64(4), f64(4), 0, undefined)).toBeGreaterThan(0);
    fit.dispose();
  });

  it('a fit disposed or dropped while runAsync is pending finishes safely', async () => {
    for (let i = 0; i < 50; i++) {
      const fit = new addon.Fit(20, 30, 4, f64(600), f64(80), f64(120), 2 ** -23, 0);
      const pending = fit.runAsync(200, new Float64Array(200), new Float64Array(200), 0);
      if (i % 2) fit.dispose();
      else fit.cancel();
      const done = await pending;
      expect(done).toBeLessThanOrEqual(200);
    }
  });

  it('the other exports refuse hostile arguments', () => {
    for (const [name, value] of Object.entries(addon)) {
      if (typeof value !== 'function' || name === 'Fit') continue;
      for (const [what, make] of JUNK) {
        const error = catchError(() => (value as (...a: unknown[]) => unknown)(make(), make(), make(), make(), make()));
        if (name === 'blasInfo') {
          expect(error, `blasInfo(${what})`).toBeUndefined();
          continue;
        }
        if (error !== undefined) expect(error instanceof TypeError || error instanceof RangeError, `${name}(${what}): ${String(error)}`).toBe(true);
      }
    }
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(0), RangeError, /threads/);
    fails(() => (addon.setBlasThreads as (n: unknown) => void)(1e6), RangeError, /threads/);
  });
});
