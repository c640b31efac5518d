/**
 * Hostile arguments to nmfdSync, nmfd, reconstructNmfd and wienerMasks, on both entries (./entries.ts): the same
 * guarantees as nmf's (./fits.test.ts) — every hostile V, options object and option value ends in a TypeError or
 * RangeError naming it (nmfd rejects instead of throwing), a getter or proxy trap that throws is a TypeError naming
 * the option, sizes are refused before anything is allocated, and the caller's arrays are never modified.
 */
import { describe, expect, it } from 'vitest';
import type * as NodeEntry from '../../src/index.js';
import { NMFD_OPTION_NAMES } from '../../src/nmfd-options.js';
import { ENTRIES } from './entries.js';
import { boom, catchError, coded, JUNK, named, outcome, PLAUSIBLE } from './hostile-values.js';

const V = { rows: 2, cols: 4, data: [1, 2, 3, 4, 5, 6, 7, 8] };
const OPTIONS = { rank: 2, templateFrames: 2, maxIter: 3, seed: 1 };
const BOOLEAN_OPTIONS = new Set(['updateW', 'updateH']);

describe.each(ENTRIES)('$name entry: nmfdSync and nmfd: every argument, every hostile value', (entry) => {
  const { nmfdSync, nmfd, reconstructNmfd, wienerMasks } = entry.exports as typeof NodeEntry;
  const fits = [
    ['nmfdSync', (v: unknown, o: unknown) => nmfdSync(v as never, o as never), false],
    ['nmfd', (v: unknown, o: unknown) => nmfd(v as never, o as never), true],
  ] as const;

  it.each(fits)('%s: V as junk is a TypeError/RangeError naming V', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
      named(await outcome(() => fit(make(), OPTIONS), async), /^V\b/, `${name}(${what}, options)`);
    }
  });

  it.each(fits)('%s: options as junk is a TypeError/RangeError naming options', async (name, fit, async) => {
    for (const [what, make] of [...JUNK, ...PLAUSIBLE.filter(([w]) => w !== 'a Float64Array')]) {
      named(await outcome(() => fit(V, make()), async), /options/, `${name}(V, ${what})`);
    }
  });

  it.each(fits)('%s: every option, as every hostile value, is refused naming it', async (name, fit, async) => {
    for (const key of NMFD_OPTION_NAMES) {
      for (const [what, make] of JUNK) {
        if (what === 'true' && BOOLEAN_OPTIONS.has(key)) continue;
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
      for (const [what, make] of PLAUSIBLE) {
        const error = await outcome(() => fit(V, { ...OPTIONS, [key]: make() }), async);
        if (error !== undefined) named(error, new RegExp(`options\\.${key}\\b`), `${name}(V, { ${key}: ${what} })`);
      }
    }
  });

  it.each(fits)('%s: a getter or proxy trap that throws is a TypeError naming the option', async (name, fit, async) => {
    for (const key of [...NMFD_OPTION_NAMES, 'unknownOption']) {
      const getter = { ...OPTIONS };
      Object.defineProperty(getter, key, { get: boom(key), enumerable: true });
      const error = await outcome(() => fit(V, getter), async);
      named(
        error,
        key === 'unknownOption' ? /options\.unknownOption/ : new RegExp(`options\\.${key} could not be read: Error: hostile ${key}`),
        `${name} getter ${key}`,
      );
      expect((error as Error).name).toBe('TypeError');
    }
  });

  it.each(fits)('%s: shapes and sizes that do not fit are RangeErrors with codes, before any allocation', async (name, fit, async) => {
    const cases: [string, object, RegExp][] = [
      ['templateFrames above N', { rank: 1, templateFrames: 5 }, /options\.templateFrames/],
      [
        'W templates of different frames',
        {
          W: [
            [
              [1, 1],
              [1, 1],
            ],
            [[1], [1]],
          ],
        },
        /options\.W\[1\]/,
      ],
      ['W with the wrong rows', { W: [[[1, 1]]] }, /options\.W\[0\]/],
      ['W and rank disagreeing', { rank: 3, W: [[[1], [1]]] }, /options\.W/],
      ['H of the wrong shape', { rank: 2, H: [[1, 1]] }, /options\.H/],
      ['both factors fixed', { rank: 1, updateW: false, updateH: false }, /options\.updateW/],
      ['eps 0', { rank: 1, eps: 0 }, /options\.eps/],
      ['a huge rank', { rank: 2 ** 30, templateFrames: 4 }, /options\.rank|\bW\b/],
      ['a huge maxIter', { rank: 1, maxIter: 2 ** 31 - 1 }, /options\.maxIter/],
    ];
    for (const [what, options, argument] of cases) {
      const error = await outcome(() => fit(V, options), async);
      named(error, argument, `${name} ${what}`);
      coded(error, `${name} ${what}`);
    }
  });

  it.each(fits)("%s: never modifies the caller's arrays", async (_name, fit, async) => {
    const data = Float64Array.from(V.data);
    const W = [new Float64Array([1, 2, 3, 4]), new Float64Array([4, 3, 2, 1])].map((d) => ({ rows: 2, cols: 2, data: d }));
    const H = { rows: 2, cols: 4, data: new Float64Array(8).fill(1) };
    const before = [data, ...W.map((m) => m.data), H.data].map((a) => Array.from(a));
    expect(await outcome(() => fit({ rows: 2, cols: 4, data }, { W, H, maxIter: 4 }), async)).toBeUndefined();
    expect([data, ...W.map((m) => m.data), H.data].map((a) => Array.from(a))).toEqual(before);
  });

  it('options planted on Object.prototype are not options', async () => {
    const expected = nmfdSync(V, OPTIONS);
    const planted = { maxIter: 0, templateFrames: 1, updateW: false, onIteration: boom('planted callback') };
    for (const [key, value] of Object.entries(planted)) {
      Object.defineProperty(Object.prototype, key, { value, configurable: true, writable: true, enumerable: false });
    }
    try {
      for (const result of [nmfdSync(V, OPTIONS), await nmfd(V, OPTIONS)]) {
        expect(result.iterations).toBe(3);
        expect(Array.from(result.H.data)).toEqual(Array.from(expected.H.data));
      }
    } finally {
      for (const key of Object.keys(planted)) delete (Object.prototype as Record<string, unknown>)[key];
    }
  });

  it('reconstructNmfd and wienerMasks: junk, wrong shapes and bad components name their argument', () => {
    const result = nmfdSync(V, OPTIONS);
    for (const [what, make] of JUNK) {
      named(
        catchError(() => reconstructNmfd(make() as never)),
        /^result\b/,
        `reconstructNmfd(${what})`,
      );
      named(
        catchError(() => reconstructNmfd(result, make() as never)),
        /^components\b/,
        `reconstructNmfd(result, ${what})`,
      );
      named(
        catchError(() => wienerMasks(make() as never)),
        /^estimates\b/,
        `wienerMasks(${what})`,
      );
    }
    named(
      catchError(() => reconstructNmfd({ W: result.W, H: { rows: 3, cols: 4, data: new Float64Array(12) } })),
      /result\.W/,
      'rank mismatch',
    );
    named(
      catchError(() => reconstructNmfd(result, 2)),
      /components/,
      'component out of range',
    );
    named(
      catchError(() => wienerMasks([result.H, result.W[0]!])),
      /estimates\[1\]/,
      'shape mismatch',
    );
    named(
      catchError(() => wienerMasks([result.H], -1)),
      /alpha/,
      'negative alpha',
    );
  });
});
