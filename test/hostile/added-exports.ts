/**
 * Exports added later: every exported function of a module's exports (an entry of nmfkit's, nmfkit-audio's) but
 * those in `exclude` — also those without cases of their own in the hostile suites — called (a class: constructed)
 * with every non-string hostile value must return, or throw (reject) a TypeError or RangeError naming one of its
 * parameters, never let a getter's or proxy trap's own exception through, never hang. Used by ./exports.test.ts and nmfkit-audio's
 * test/hostile/exports.test.ts.
 */
import { describe, it } from 'vitest';
import { JUNK, named } from './hostile-values.js';

/** The test of every function of `EXPORTS` but those in `exclude`, under the title `title`. */
export function describeAddedExports(title: string, EXPORTS: Readonly<Record<string, unknown>>, exclude: ReadonlySet<string>): void {
  describe(title, () => {
    /** Whether an exported function is a class, which is constructed (with `new`) rather than called. */
    const isClass = (f: (...a: unknown[]) => unknown): boolean => /^class\b/.test(Function.prototype.toString.call(f));

    /** The parameter names in a function's source (a class's constructor's), for checking that a message names one of them. */
    const parameters = (f: (...a: unknown[]) => unknown): string[] => {
      const source = Function.prototype.toString.call(f);
      const list = (isClass(f) ? /\bconstructor\s*\(([^)]*)\)/ : /^[^(]*\(([^)]*)\)/).exec(source)?.[1] ?? '';
      return list
        .split(',')
        .map((p) => p.replace(/=.*$/s, '').trim())
        .filter((p) => /^\w+$/.test(p));
    };

    /**
     * Every exported function but those in `exclude` — those added later, without cases of their own, too — is
     * called with every non-string hostile value (a string could name a file) in its first arguments and must return, or throw (reject) a TypeError or RangeError whose message names one of its
     * parameters: never let a getter's or proxy trap's own exception through, never hang.
     */
    it('every other exported function returns, or throws/rejects a TypeError or RangeError naming a parameter', async () => {
      const others = Object.entries(EXPORTS).filter(([name, value]) => typeof value === 'function' && !exclude.has(name));
      for (const [name, value] of others) {
        const f = value as (...a: unknown[]) => unknown;
        const names = parameters(f);
        for (const [what, make] of JUNK.filter(([w]) => w !== 'a string')) {
          for (const args of [[make()], [make(), make()], [{ rank: 1 }, make()]]) {
            let error: unknown;
            try {
              const result = isClass(f) ? new (f as unknown as new (...a: unknown[]) => unknown)(...args) : f(...args);
              if (result instanceof Promise) {
                error = await Promise.race([
                  result.then(
                    () => undefined,
                    (e: unknown) => e,
                  ),
                  new Promise((resolve) => setTimeout(() => resolve(new Error('hung for 5 s')), 5000)),
                ]);
              }
            } catch (e) {
              error = e;
            }
            if (error === undefined) continue;
            named(error, names.length > 0 ? new RegExp(`\\b(${names.join('|')})\\b`) : /./, `${name}(${what})`);
          }
        }
      }
    });
  });
}
