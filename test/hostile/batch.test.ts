/**
 * Hostile arguments particular to nmfBatch, on both entries (./entries.ts): matrices that are not an array,
 * proxies, holes and absurd lengths; options of the wrong kind, fake signals, throwing getters; a matrix with a
 * throwing getter fails that matrix, named by its index.
 */
import { describe, expect, it } from 'vitest';
import { ENTRIES, OPTIONS, V } from './entries.js';
import { boom, MS, named, outcome, revokedProxy, throwingProxy } from './hostile-values.js';

describe.each(ENTRIES)('$name entry: nmfBatch', (entry) => {
  const { nmfBatch } = entry;
  it('matrices that are not an array, proxies, holes and absurd lengths', async () => {
    for (const [what, matrices, message] of [
      ['a string', 'abc', /^matrices must be an array/],
      ['an array-like', { length: 1, 0: V }, /^matrices must be an array/],
      ['a revoked proxy', revokedProxy(), /^matrices must be an array/],
      ['a throwing proxy of an array', throwingProxy([V]), /^matrices\.length could not be read/],
      ['an array with a throwing index', Object.defineProperty([V, V], 1, { get: boom('index') }), /^matrices\[1\] could not be read/],
      ['a hole', [V, , V], /^matrices\[1\]: V must be a matrix/], // eslint-disable-line no-sparse-arrays
      ['2^30 holes', new Array(2 ** 30), /^matrices has 1073741824 entries, more than the 16777216/],
    ] as const) {
      for (const settle of [false, true]) {
        const started = performance.now();
        const error = await outcome(() => nmfBatch(matrices as never, { ...OPTIONS, settle } as never), true);
        if (what === 'a hole' && settle) {
          expect(error).toBeUndefined(); // settle: the hole is that matrix's own failure
          continue;
        }
        named(error, message, `nmfBatch(${what}, { settle: ${settle} })`);
        expect(performance.now() - started).toBeLessThan(1000 * MS);
      }
    }
  });

  it('options: settle, onIteration and signal of the wrong kind, fake signals, throwing getters', async () => {
    const fakeSignal = Object.create(AbortSignal.prototype) as AbortSignal;
    for (const [options, message] of [
      [{ ...OPTIONS, settle: 'yes' }, /^options\.settle must be a boolean/],
      [{ ...OPTIONS, onIteration: 1 }, /^options\.onIteration must be a function/],
      [{ ...OPTIONS, signal: { aborted: true } }, /^options\.signal must be an AbortSignal/],
      [{ ...OPTIONS, signal: fakeSignal }, /^options\.signal must be an AbortSignal/],
      [{ ...OPTIONS, signal: throwingProxy(new AbortController().signal) }, /^options\.signal must be an AbortSignal/],
      // A proxy that forwards everything: Node's own brand check would pass it; nmfkit refuses it on every entry.
      [{ ...OPTIONS, signal: new Proxy(new AbortController().signal, {}) }, /^options\.signal must be an AbortSignal/],
      [Object.defineProperty({ ...OPTIONS }, 'settle', { get: boom('settle'), enumerable: true }), /^options\.settle could not be read/],
      [
        Object.defineProperty({ ...OPTIONS }, Symbol('s'), { get: boom('symbol'), enumerable: true }),
        /^options\.Symbol\(s\) could not be read/,
      ],
      [revokedProxy(), /^the keys of options could not be read/],
    ] as const) {
      named(await outcome(() => nmfBatch([V], options as never), true), message, `nmfBatch([V], ${String(message)})`);
    }
    // A matrix with a throwing getter fails that matrix, named by its index.
    const bad = {
      rows: 2,
      cols: 3,
      get data(): never {
        throw new Error('hostile data');
      },
    };
    named(await outcome(() => nmfBatch([V, bad] as never, OPTIONS), true), /^matrices\[1\]: V\.data could not be read/, 'bad matrix');
    const settled = await nmfBatch([V, bad] as never, { ...OPTIONS, settle: true });
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
  });
});
