/**
 * The per-iteration history (hChange, wChange and the objectives a result carries) is inside the memory rule: a
 * fit whose history could not fit if it ran all maxIter iterations is refused before it starts, with a RangeError
 * whose code is stable and whose message names options.maxIter — instead of growing ~70 B an iteration until a bare
 * "Array buffer allocation failed". Both entries, both backends, nmfSync, nmf and nmfBatch.
 */
import { describe, expect, it } from 'vitest';
import { limitMemory } from '../../src/validate.js';
import { ENTRIES } from '../hostile/entries.js';

// The Node entry plans on the machine's memory: held at 16 GiB here, so that the refusal below does not depend on
// the test machine having less than the 80 GB asked for (the WebAssembly-only entry plans on at most 12 GiB).
limitMemory(16 * 2 ** 30, (size) => `the test's ${size}`);

const V = { rows: 1, cols: 1, data: [2] };
// 2^31 − 1 iterations need over 80 GB of history; no test machine has that.
const HUGE = { rank: 1, maxIter: 2 ** 31 - 1, tol: 0, seed: 1 };

function refusal(error: unknown): void {
  expect(error).toBeInstanceOf(RangeError);
  expect((error as { code?: unknown }).code).toBe('NMFKIT_HISTORY_MEMORY');
  expect((error as Error).message).toMatch(/options\.maxIter = 2147483647/);
}

describe.each(ENTRIES)('history memory on the $name entry', (entry) => {
  describe.each(entry.backends)('%s backend', (backend) => {
    it('maxIter 2^31 − 1 is refused before the fit starts', async () => {
      if (!entry.available(backend)) return;
      const options = { ...HUGE, backend };
      let syncError: unknown;
      try {
        entry.nmfSync(V, options);
      } catch (error) {
        syncError = error;
      }
      refusal(syncError);
      refusal(
        await entry.nmf(V, options).then(
          () => undefined,
          (e: unknown) => e,
        ),
      );
      const batchError = await entry.nmfBatch([V], options).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(batchError).toBeInstanceOf(RangeError);
      expect((batchError as Error).message).toMatch(/^matrices\[0\]: options\.maxIter = 2147483647/);
      // The cause keeps the code.
      expect(((batchError as Error).cause as { code?: unknown }).code).toBe('NMFKIT_HISTORY_MEMORY');
    });

    it('an ordinary maxIter still runs', async () => {
      if (!entry.available(backend)) return;
      const result = await entry.nmf(V, { rank: 1, maxIter: 10_000, tol: 0, seed: 1, backend });
      expect(result.iterations).toBe(10_000);
    });
  });
});
