/**
 * estimateTemplatePitches bounds its work: documented-valid options whose product is huge (resolution 0.1 cents,
 * 1000 harmonics, spread 0.5 — once 90 s per 1025-bin template on the calling thread) are refused at once with a
 * RangeError of a stable code naming the options; the finest resolution alone still runs. The refused case runs in
 * a child process with a deadline, since an unbounded search cannot be interrupted in-process.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { estimateTemplatePitches, midiToHz } from '../../src/index.js';

const ENTRY = new URL('../../dist/index.js', import.meta.url).href;
const K = 1025;
const frequencies = Float64Array.from({ length: K }, (_, k) => (k * 22050) / (K - 1));

/** A harmonic template of MIDI pitch 57 (A3): a peak at each multiple of its fundamental. */
function template(): { rows: number; cols: number; data: Float64Array } {
  const data = new Float64Array(K);
  const f0 = midiToHz(57);
  for (let m = 1; m * f0 < 22050; m++) data[Math.round((m * f0 * (K - 1)) / 22050)] = 1 / m;
  return { rows: K, cols: 1, data };
}

describe('estimateTemplatePitches work limit', () => {
  it('resolution 0.1, 1000 harmonics, spread 0.5 is refused within seconds', () => {
    const program = `
      const { estimateTemplatePitches } = await import(${JSON.stringify(ENTRY)});
      const K = ${K};
      const f = Float64Array.from({ length: K }, (_, k) => (k * 22050) / (K - 1));
      const W = { rows: K, cols: 1, data: new Float64Array(K).fill(1) };
      const started = performance.now();
      try {
        estimateTemplatePitches(W, f, { resolution: 0.1, harmonics: 1000, spread: 0.5 });
        console.log(JSON.stringify({ refused: false }));
      } catch (e) {
        console.log(JSON.stringify({ refused: e instanceof RangeError, code: e.code, message: e.message, ms: performance.now() - started }));
      }
    `;
    const out = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 20_000 }),
    ) as {
      refused: boolean;
      code?: string;
      message?: string;
      ms?: number;
    };
    expect(out.refused).toBe(true);
    expect(out.code).toBe('NMFKIT_PITCH_WORK');
    expect(out.message).toMatch(/options\.resolution, options\.harmonics, options\.spread/);
    expect(out.ms).toBeLessThan(2000);
  });

  it('the finest resolution with the other defaults still runs and finds the pitch', () => {
    const [estimate] = estimateTemplatePitches(template(), frequencies, { resolution: 0.1 });
    expect(estimate!.midi).toBe(57);
  });
});
