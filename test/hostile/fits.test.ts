/**
 * Hostile arguments to nmfSync, nmf and nmfBatch, on both entries (./entries.ts): V, options and every option as
 * every hostile value (./hostile-values.ts) must end in a TypeError or RangeError whose message names the argument
 * (nmf and nmfBatch reject instead of throwing); a getter or proxy trap that throws is a TypeError naming the option;
 * every option and matrix property is read once.
 */
import { describe, expect, it } from 'vitest';
import { BOOLEAN_OPTIONS, ENTRIES, OPTION_NAMES, OPTIONS, V } from './entries.js';
import { boom, JUNK, named, outcome, PLAUSIBLE } from './hostile-values.js';

describe.each(ENTRIES)('$name entry: nmfSync, nmf and nmfBatch: every argument, every hostile value', (entry) => {
  const { nmfSync, nmf, nmfBatch } = entry;
  const fits = [
    ['nmfSync', (v: unknown, o: unknown) => nmfSync(v as never, o as never), false],
    ['nmf', (v: unknown, o: unknown) => nmf(v as never, o as never), true],
    ['nmfBatch', (v: unknown, o: unknown) => nmfBatch([v] as never, o as never), true],
  ] as const;

  it.each(fits)('%s: V as junk is a TypeError/RangeError naming V', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
      const error = await outcome(() => fit(make(), OPTIONS), async);
      named(error, name === 'nmfBatch' ? /^matrices\[0\]: V\b/ : /^V\b/, `${name}(${what}, options)`);
    }
  });

  it.each(fits)('%s: options as junk is a TypeError/RangeError naming options', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE.filter(([w]) => w !== 'a Float64Array')]) {
      const error = await outcome(() => fit(V, make()), async);
      named(error, /options/, `${name}(V, ${what})`);
    }
  });

  it.each(fits)('%s: every option, as every hostile value, is accepted or rejected naming it', async (name, fit, async) => {
    for (const key of OPTION_NAMES) {
      for (const [what, make] of JUNK) {
        if (what === 'true' && BOOLEAN_OPTIONS.has(key)) continue;
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        // Junk is never a valid option value: each must be refused, naming the option.
        named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
      for (const [what, make] of PLAUSIBLE) {
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        if (error !== undefined) named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
    }
  });

  it.each(fits)('%s: a getter or proxy trap that throws is a TypeError naming the option', async (name, fit, async) => {
    for (const key of [...OPTION_NAMES, 'unknownOption']) {
      const getter = { ...OPTIONS };
      Object.defineProperty(getter, key, { get: boom(key), enumerable: true });
      const proxy = new Proxy({ ...OPTIONS, [key]: 1 }, { get: (target, k) => (k === key ? boom(key)() : Reflect.get(target, k)) });
      for (const [what, options] of [
        ['getter', getter],
        ['proxy', proxy],
      ] as const) {
        const error = await outcome(() => fit(V, options), async);
        // An unknown option is reported as such before it is read; a known one names what could not be read.
        // (nmfBatch copies its options first, so there the getter's failure may come first.)
        named(
          error,
          key === 'unknownOption'
            ? /(unknown option )?options\.unknownOption/
            : new RegExp(`options\\.${key} could not be read: Error: hostile ${key}`),
          `${name} ${what} ${key}`,
        );
        expect((error as Error).name === 'TypeError').toBe(true);
      }
    }
  });

  it('every option and every matrix property is read once, so a getter cannot show validation one value and the fit another', () => {
    const reads = new Map<string, number>();
    const counted = <T extends object>(prefix: string, target: T): T =>
      new Proxy(target, {
        get(t, k, r) {
          if (typeof k === 'string') reads.set(`${prefix}.${k}`, (reads.get(`${prefix}.${k}`) ?? 0) + 1);
          return Reflect.get(t, k, r);
        },
      });
    const options = counted('options', { rank: 2, maxIter: 3, seed: 1, tol: 0, W: counted('W', { rows: 2, cols: 2, data: [1, 1, 1, 1] }) });
    nmfSync(counted('V', { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] }), options);
    for (const [key, count] of reads) expect(count, key).toBe(1);
    expect(reads.get('V.data')).toBe(1);
    expect(reads.get('options.rank')).toBe(1);
  });
});
