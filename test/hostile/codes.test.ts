/**
 * Every error nmfkit throws or rejects with carries a stable `code` (src/errors.ts). The hostile suites check it for
 * every case they drive (their shared assertion, `named` in ./hostile-values.ts, calls `coded`); this file checks
 * the list against docs/api.md#errors and the errors that are no argument's: an abort, an overflow, sizes beyond
 * memory, a backend that is not there, nmfBatch's wrapping of a matrix's error and of a callback's exception — on
 * both entries (./entries.ts) and every backend, in nmfSync, nmf and nmfBatch.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ENTRIES, OPTIONS, V } from './entries.js';
import { catchError, coded, outcome } from './hostile-values.js';

describe('the documented list of codes', () => {
  it('docs/api.md#errors lists exactly the codes of src/errors.ts, each with its class', () => {
    const api = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = api.slice(api.indexOf('## Errors'));
    const rows = [...section.matchAll(/^\| `(NMFKIT_[A-Z_]+)` \| ([^|]+) \|/gm)].map((m) => [m[1]!, m[2]!.trim()] as const);
    expect(rows.map(([code]) => code).sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, classes] of rows) {
      const documented = ERROR_CODES[code as keyof typeof ERROR_CODES].split(/[ :]/)[0]!;
      if (documented === 'any') expect(classes, code).toMatch(/class of yours/);
      else expect(classes, code).toContain(`\`${documented}`);
    }
  });
});

describe.each(ENTRIES)('$name entry: the codes of errors that are no argument’s', (entry) => {
  const { nmfSync, nmf, nmfBatch } = entry;
  const backends = entry.backends.filter((b) => entry.available(b));
  const fits = [
    ['nmfSync', (v: unknown, o: object) => nmfSync(v as never, o as never), false],
    ['nmf', (v: unknown, o: object) => nmf(v as never, o as never), true],
    ['nmfBatch', (v: unknown, o: object) => nmfBatch([v] as never, o as never), true],
  ] as const;
  const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;

  it.each(backends)('an overflow is NMFKIT_NOT_COMPUTABLE, a huge rank NMFKIT_TOO_LARGE, on %s', async (backend) => {
    for (const [name, fit, async] of fits) {
      const overflow = await outcome(
        () =>
          fit(
            [
              [1e200, 1],
              [1, 1e200],
            ],
            { rank: 1, maxIter: 5, seed: 1, backend },
          ),
        async,
      );
      coded(overflow, `${name} overflow`);
      expect(codeOf(overflow), name).toBe('NMFKIT_NOT_COMPUTABLE');
      const huge = await outcome(() => fit(V, { rank: 2 ** 31 - 1, backend }), async);
      coded(huge, `${name} huge rank`);
      expect(codeOf(huge), name).toBe('NMFKIT_TOO_LARGE');
      const history = await outcome(() => fit(V, { rank: 1, maxIter: 2 ** 31 - 1, backend }), async);
      // Only where the memory limit is below 80 GiB of history (every machine this runs on).
      if (history !== undefined) expect(codeOf(history), name).toBe('NMFKIT_HISTORY_MEMORY');
    }
  });

  it.each(backends)('an abort is a DOMException AbortError with NMFKIT_ABORTED, on %s', async (backend) => {
    for (const [name, fit] of fits.filter(([, , async]) => async)) {
      const aborted = await outcome(() => fit(V, { ...OPTIONS, backend, signal: AbortSignal.abort(new Error('stop')) }), true);
      expect(aborted, name).toBeInstanceOf(DOMException);
      expect((aborted as DOMException).name).toBe('AbortError');
      expect(codeOf(aborted), name).toBe('NMFKIT_ABORTED');
      coded(aborted, name);
      const controller = new AbortController();
      const running = fit(V, {
        rank: 2,
        maxIter: 10000,
        tol: 0,
        backend,
        signal: controller.signal,
        onIteration: ({ iteration }: { iteration: number }) => {
          if (iteration === 2) controller.abort();
        },
      }) as Promise<unknown>;
      const late = await running.catch((e: unknown) => e);
      expect(codeOf(late), `${name} aborted while running`).toBe('NMFKIT_ABORTED');
    }
  });

  it('nmfBatch keeps a matrix’s code, and gives a callback’s exception NMFKIT_CALLBACK', async () => {
    const bad = await outcome(() => nmfBatch([V, [[-1]]] as never, OPTIONS), true);
    expect((bad as Error).message).toMatch(/^matrices\[1\]: V must be finite/);
    expect(codeOf(bad)).toBe('NMFKIT_INVALID_VALUE');
    coded(bad, 'a bad matrix');
    for (const thrown of [new Error('mine'), new RangeError('mine'), 'a string']) {
      const error = await outcome(
        () =>
          nmfBatch([V], {
            ...OPTIONS,
            onIteration: () => {
              throw thrown;
            },
          }),
        true,
      );
      expect(codeOf(error), String(thrown)).toBe('NMFKIT_CALLBACK');
      expect((error as Error).cause).toBe(thrown);
      coded(error, String(thrown));
    }
    // nmfSync and nmf rethrow the callback's exception itself: it is the caller's, not nmfkit's.
    const mine = new Error('mine');
    const error = catchError(() =>
      nmfSync(V, {
        ...OPTIONS,
        onIteration: () => {
          throw mine;
        },
      }),
    );
    expect(error).toBe(mine);
  });

  it('a backend that is not there is NMFKIT_BACKEND_UNAVAILABLE', async () => {
    const missing = (['native', 'wasm'] as const).filter((b) => !entry.available(b));
    for (const backend of missing) {
      for (const [name, fit, async] of fits) {
        const error = await outcome(() => fit(V, { ...OPTIONS, backend }), async);
        expect(codeOf(error), `${name} on ${backend}`).toBe('NMFKIT_BACKEND_UNAVAILABLE');
        coded(error, `${name} on ${backend}`);
      }
    }
  });
});
