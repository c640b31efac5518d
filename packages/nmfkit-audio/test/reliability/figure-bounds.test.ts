/**
 * Every figure finishes for any finite input: values and tolerances at the ends of the float64 range (above about
 * 1e308, down to the smallest subnormal 5e-324) once made the error plot's decade grid run to ±Infinity and loop
 * forever, and the CLI with it. A hang cannot be caught in-process, so each case runs the built package in a child
 * process with a deadline.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIGURES = new URL('../../dist/figures/index.js', import.meta.url).href;
const BIN = fileURLToPath(new URL('../../bin/nmfkit.js', import.meta.url));
const DEADLINE_MS = 20_000;

/** Runs `body` (with `figures` imported) in a child process; returns what it printed. */
function inChild(body: string): string {
  const program = `import * as figures from ${JSON.stringify(FIGURES)};\n${body}`;
  return execFileSync(process.execPath, ['--input-type=module', '-e', program], { timeout: DEADLINE_MS, encoding: 'utf8' });
}

const EXTREMES = [Number.MAX_VALUE, 1e308, 5e-324, 1e-323, 2.2e-308];

describe('error plot: any finite value or tolerance', () => {
  it.each(EXTREMES)('values and tol %d finish and give a PNG', (x) => {
    const out = inChild(`
      const x = ${x};
      const sizes = [];
      const small = { width: 320, height: 200 };
      sizes.push(figures.renderErrorPlot([{ title: 'v', series: [{ label: 'a', values: [x, 1, 0.5] }] }], small).length);
      sizes.push(figures.renderErrorPlot([{ title: 't', series: [{ label: 'a', values: [1, 0.5] }], tol: x }], small).length);
      sizes.push(figures.renderErrorPlot([{ title: 'both', series: [{ label: 'a', values: [Number.MAX_VALUE, 5e-324, x] }], tol: x }], small).length);
      console.log(JSON.stringify(sizes));
    `);
    const sizes = JSON.parse(out) as number[];
    expect(sizes).toHaveLength(3);
    for (const size of sizes) expect(size).toBeGreaterThan(100);
  });

  it('heatmaps with entries and ranges at the ends of the float64 range finish', () => {
    const out = inChild(`
      const M = Number.MAX_VALUE;
      const panel = (data, range) => ({ matrix: { rows: 1, cols: 3, data }, x: { label: 'x', centres: [0, 1e300, 2e300] }, y: { label: 'y', labels: ['a'] }, title: 't', ...(range ? { range } : {}) });
      const small = { width: 320, height: 200 };
      const sizes = [
        figures.renderHeatmapRow([panel([-M, 0, M])], small).length,
        figures.renderHeatmapRow([panel([0, 1, 2], [-M, M])], small).length,
        figures.renderHeatmapRow([panel([5e-324, 0, 1], [0, 5e-324])], small).length,
      ];
      console.log(JSON.stringify(sizes));
    `);
    for (const size of JSON.parse(out) as number[]) expect(size).toBeGreaterThan(100);
  });
});

describe('CLI: factorize with an extreme --tol finishes', () => {
  let dir: string;
  beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-bounds-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['5e-324', '1e308'])('--tol %s', (tol) => {
    const input = join(dir, 'x.csv');
    writeFileSync(input, '1,2,3\n4,5,6\n0,1,0\n7,0.5,2\n');
    const result = spawnSync(
      process.execPath,
      [BIN, 'factorize', input, '--rank', '2', '--tol', tol, '--max-iter', '50', '--out', join(dir, `out-${tol}`)],
      {
        timeout: DEADLINE_MS,
        encoding: 'utf8',
      },
    );
    expect(result.signal, 'the CLI hung and was killed').toBeNull();
    expect(result.status, result.stderr).toBe(0);
  });
});
