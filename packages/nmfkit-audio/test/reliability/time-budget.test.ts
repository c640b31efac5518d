/**
 * The CLI's --max-time beyond what one timer can hold (2^31 − 1 ms, about 24.8 days) means "no limit in practice":
 * the fit runs to --max-iter, with no early 'maxTime' stop and no TimeoutOverflowWarning (as nmf's maxTime:
 * nmfkit's test/reliability/time-budget.test.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { randomMatrix } from '../../../../test/support/helpers.js';
import { recordWarnings, settle } from '../../../../test/support/warnings.js';

const warnings = recordWarnings();

// Enough iterations that a fit takes well over the 1 ms an overflowing timer fires after.
const V = randomMatrix(40, 30, 3);
const ITERATIONS = 3000;

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
