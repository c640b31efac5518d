/**
 * A time budget beyond what one timer can hold (2^31 − 1 ms, about 24.8 days) means "no limit in practice": the
 * fit runs to maxIter, with no early 'maxTime' stop and no TimeoutOverflowWarning (Node clamps such a delay to
 * 1 ms) — on both backends and both entries, for nmf and nmfBatch (the CLI's --max-time: nmfkit-audio's
 * test/reliability/time-budget.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ENTRIES } from '../hostile/entries.js';
import { randomMatrix } from '../support/helpers.js';
import { recordWarnings, settle } from '../support/warnings.js';

const warnings = recordWarnings();

// Enough iterations that a fit takes well over the 1 ms an overflowing timer fires after.
const V = randomMatrix(40, 30, 3);
const ITERATIONS = 3000;
const BUDGETS = [2 ** 31, Number.MAX_SAFE_INTEGER, 1e300];

describe.each(ENTRIES)('maxTime ≥ 2^31 ms on the $name entry', (entry) => {
  describe.each(entry.backends)('%s backend', (backend) => {
    it.each(BUDGETS)('nmf and nmfBatch with maxTime %d run to maxIter', async (maxTime) => {
      if (!entry.available(backend)) return;
      const options = { rank: 3, seed: 1, maxIter: ITERATIONS, tol: 0, backend, maxTime };
      const single = await entry.nmf(V, options);
      expect([single.stopReason, single.iterations]).toEqual(['maxIter', ITERATIONS]);
      const batch = await entry.nmfBatch([V, V], options);
      expect(batch.map((r) => [r.stopReason, r.iterations])).toEqual([
        ['maxIter', ITERATIONS],
        ['maxIter', ITERATIONS],
      ]);
      await settle();
      expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
    });
  });
});
