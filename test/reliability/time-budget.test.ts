/**
 * A time budget beyond what one timer can hold (2^31 − 1 ms, about 24.8 days) means "no limit in practice": the
 * fit runs to maxIter, with no early 'maxTime' stop and no TimeoutOverflowWarning (Node clamps such a delay to
 * 1 ms) — on both backends and both entries, for nmf and nmfBatch, and in the CLI's --max-time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { ENTRIES } from '../hostile/entries.js';
import { randomMatrix } from '../support/helpers.js';

const warnings: Error[] = [];
const onWarning = (warning: Error): void => void warnings.push(warning);
beforeAll(() => void process.on('warning', onWarning));
afterAll(() => void process.off('warning', onWarning));
afterEach(() => void (warnings.length = 0));

// Enough iterations that a fit takes well over the 1 ms an overflowing timer fires after.
const V = randomMatrix(40, 30, 3);
const ITERATIONS = 3000;
const BUDGETS = [2 ** 31, Number.MAX_SAFE_INTEGER, 1e300];

/** Lets a pending warning be emitted (process warnings are emitted on the next tick). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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

describe('CLI --max-time beyond a timer', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-budget-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--max-time 1e300 runs to --max-iter', async () => {
    const input = join(dir, 'v.csv');
    const rows = Array.from({ length: V.rows }, (_, i) => Array.from(V.data.subarray(i * V.cols, (i + 1) * V.cols)).join(','));
    writeFileSync(input, rows.join('\n') + '\n');
    let out = '';
    let err = '';
    const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
    const stderr = { write: (s: string) => ((err += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
    const args = [
      'factorize',
      input,
      '--rank',
      '3',
      '--max-iter',
      String(ITERATIONS),
      '--tol',
      '0',
      '--max-time',
      '1e300',
      '--out',
      join(dir, 'out'),
      '--json',
    ];
    const code = await run(args, { stdout, stderr });
    expect(code, err).toBe(0);
    const summary = JSON.parse(out) as { iterations: number; stopReason: string };
    expect([summary.stopReason, summary.iterations]).toEqual(['maxIter', ITERATIONS]);
    await settle();
    expect(warnings.map((w) => w.name)).not.toContain('TimeoutOverflowWarning');
  });
});
