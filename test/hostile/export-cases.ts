/**
 * The hostile-input contract of exports driven by a table of cases (one per exported function: valid arguments,
 * what the messages call each argument, the options object): each argument and each option, as every hostile
 * value, is refused with a TypeError or RangeError naming it (or, where the value is a valid one, accepted); a
 * getter or proxy trap that throws is a TypeError naming what could not be read; each property is read once and
 * nothing is modified. Used by ./estimator.test.ts (the NMF estimator and estimateRank, on both entries) and by
 * nmfkit-audio's test/hostile/audio.test.ts and figures.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { boom, JUNK, keyless, named, outcome, PLAUSIBLE } from './hostile-values.js';

export interface ExportCase {
  /** Valid arguments, fresh for each call. */
  readonly args: () => unknown[];
  /** What the messages call each argument. */
  readonly params: readonly string[];
  /** Rejects instead of throwing. */
  readonly async?: boolean;
  /** The options object: its argument's index and its option names. */
  readonly options?: { readonly index: number; readonly keys: readonly string[] };
  /** Hostile values that are valid for a parameter or option ('center', 'options.center'…). */
  readonly valid?: Readonly<Record<string, readonly string[]>>;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The tests of `CASES` against `EXPORTS` (the module's exports, less `exclude`): every exported function has its
 * case. `OPTION_OBJECTS`: options that are objects of options themselves ('input.titles').
 */
export function describeExportCases(
  title: string,
  EXPORTS: Readonly<Record<string, unknown>>,
  CASES: Readonly<Record<string, ExportCase>>,
  {
    exclude: CORE = new Set<string>(),
    OPTION_OBJECTS = new Set<string>(),
  }: { exclude?: ReadonlySet<string>; OPTION_OBJECTS?: ReadonlySet<string> } = {},
): void {
  function call(name: string, args: unknown[]): unknown {
    return (EXPORTS[name] as (...a: unknown[]) => unknown)(...args);
  }

  /** The error of a call, or undefined; an async export must reject, never throw. */
  async function outcomeOf(name: string, args: unknown[]): Promise<unknown> {
    return outcome(() => call(name, args), CASES[name]?.async === true);
  }

  describe(title, () => {
    it('every exported function but the fit’s own has its cases here', () => {
      const functions = Object.entries(EXPORTS)
        .filter(([name, value]) => typeof value === 'function' && !CORE.has(name))
        .map(([name]) => name);
      expect(functions.filter((name) => !(name in CASES))).toEqual([]);
    });

    it.each(Object.keys(CASES))('%s: the valid arguments work', async (name) => {
      expect(await outcomeOf(name, CASES[name]!.args())).toBeUndefined();
    });

    it.each(Object.keys(CASES))('%s: every argument as every hostile value is refused naming it', async (name) => {
      const c = CASES[name]!;
      for (let i = 0; i < c.params.length; i++) {
        const param = c.params[i]!;
        const pattern = new RegExp(`^(unknown option |the keys of )?${escape(param)}\\b`);
        for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
          // A string for a path would name a file to read or write.
          if (what === 'a string' && param === 'path') continue;
          const args = c.args();
          args[i] = make();
          const error = await outcomeOf(name, args);
          const acceptable =
            PLAUSIBLE.some(([w]) => w === what) || (c.valid?.[param] ?? []).includes(what) || (param === 'options' && keyless(make));
          if (error === undefined && acceptable) continue;
          named(error, pattern, `${name}: ${param} = ${what}`);
        }
      }
    });

    const withOptions = Object.keys(CASES).filter((name) => CASES[name]!.options);

    it.each(withOptions)('%s: every option as every hostile value is refused naming it', async (name) => {
      const c = CASES[name]!;
      const { index, keys } = c.options!;
      const prefix = c.params[index]!;
      for (const key of keys) {
        const pattern = new RegExp(`${escape(prefix)}\\.${key}\\b`);
        for (const [what, make] of [...JUNK, ...PLAUSIBLE]) {
          const args = c.args();
          args[index] = { ...(args[index] as object), [key]: make() };
          const error = await outcomeOf(name, args);
          const acceptable =
            PLAUSIBLE.some(([w]) => w === what) ||
            (c.valid?.[`${prefix}.${key}`] ?? []).includes(what) ||
            (OPTION_OBJECTS.has(`${prefix}.${key}`) && keyless(make));
          if (error === undefined && acceptable) continue;
          named(error, pattern, `${name}: ${prefix}.${key} = ${what}`);
        }
      }
    });

    it.each(withOptions)(
      '%s: a getter or proxy trap that throws is a TypeError naming the option; unknown options are refused',
      async (name) => {
        const c = CASES[name]!;
        const { index, keys } = c.options!;
        const prefix = c.params[index]!;
        for (const key of keys) {
          const base = c.args()[index] as object;
          const getter = Object.defineProperty({ ...base }, key, { get: boom(key), enumerable: true });
          const proxy = new Proxy({ ...base, [key]: 1 }, { get: (target, k) => (k === key ? boom(key)() : Reflect.get(target, k)) });
          for (const [what, options] of [
            ['getter', getter],
            ['proxy', proxy],
          ] as const) {
            const args = c.args();
            args[index] = options;
            const error = await outcomeOf(name, args);
            named(error, new RegExp(`^${escape(prefix)}\\.${key} could not be read: Error: hostile ${key}`), `${name} ${what} ${key}`);
            expect((error as Error).name).toBe('TypeError');
          }
        }
        for (const bad of [{ nFtt: 1 }, { [Symbol('s')]: 1 }]) {
          const args = c.args();
          args[index] = { ...(args[index] as object), ...bad };
          const error = await outcomeOf(name, args);
          named(error, new RegExp(`^unknown option ${escape(prefix)}\\.(nFtt|Symbol\\(s\\))`), `${name} unknown option`);
          expect((error as Error).name).toBe('TypeError');
        }
      },
    );

    it.each(Object.keys(CASES))('%s: reads every property of its arguments once, and modifies none', async (name) => {
      const c = CASES[name]!;
      const reads = new Map<string, number>();
      const counted = (path: string, value: unknown): unknown => {
        // Plain objects and arrays only: a proxy of a typed array is (rightly) not one.
        if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
        return new Proxy(value, {
          get(target, key, receiver) {
            const where = `${path}.${String(key)}`;
            if (typeof key === 'string') reads.set(where, (reads.get(where) ?? 0) + 1);
            return counted(where, Reflect.get(target, key, receiver));
          },
        });
      };
      const args = c.args();
      const before = structuredClone(args.map((a) => (typeof a === 'function' ? undefined : a)));
      expect(
        await outcomeOf(
          name,
          args.map((a, i) => counted(c.params[i]!, a)),
        ),
      ).toBeUndefined();
      for (const [where, count] of reads) expect(count, `${name}: ${where}`).toBe(1);
      expect(
        args.map((a) => (typeof a === 'function' ? undefined : a)),
        `${name} modified an argument`,
      ).toEqual(before);
    });
  });
}
