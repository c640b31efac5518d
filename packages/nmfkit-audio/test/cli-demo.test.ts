/**
 * `nmfkit demo` in the test suite with short settings (--max-iter 50: the fits are far from converged, but the
 * score-informed activations already score as at convergence), in-process: exit code, report, JSON summary,
 * figures (valid PNGs of the expected sizes) and the separated audio.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { decodeWav } from '../src/index.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmfkit-demo-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = { write: (s: string) => ((err += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const code = await run(args, { stdout, stderr });
  return { code, out, err };
}

describe('nmfkit demo', () => {
  it('runs on the embedded recording and writes figures, audio and a JSON summary', async () => {
    const out = join(dir, 'demo');
    const r = await cli(['demo', '--out', out, '--max-iter', '50', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.spectrogram).toEqual({ nFft: 2048, hop: 512, log: 1, rows: 1025, cols: 491 });
    expect(summary.unsupervised.rank).toBe(9);
    expect(summary.unsupervised.iterations).toBe(50);
    expect(summary.unsupervised.templates).toHaveLength(9);
    expect(summary.scoreInformed.components).toBe(18);
    expect(summary.scoreInformed.fMeasure).toBeGreaterThanOrEqual(0.9);
    expect(summary.separation.pitch).toBe('C5');
    expect(summary.separation.energyInNotes).toBeGreaterThan(0.9);
    expect(['native', 'wasm']).toContain(summary.backend);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);

    const sizes: Record<string, [number, number]> = {
      'unsupervised-nmf.png': [1672, 450],
      'score-informed-init.png': [1240, 450],
      'score-informed-nmf.png': [1778, 450],
      'activations-vs-notes.png': [1100, 318],
      'errors.png': [1280, 400],
    };
    for (const [name, [width, height]] of Object.entries(sizes)) {
      const png = PNG.sync.read(readFileSync(join(out, name)));
      expect([name, png.width, png.height]).toEqual([name, width, height]);
    }
    const c5 = decodeWav(readFileSync(join(out, 'C5.wav')));
    const residual = decodeWav(readFileSync(join(out, 'residual.wav')));
    expect(c5.sampleRate).toBe(22050);
    expect(c5.samples.length).toBe(residual.samples.length);
  });

  it('prints the template table and the scores', async () => {
    const out = join(dir, 'report');
    const r = await cli(['demo', '--out', out, '--max-iter', '20', '--no-figures']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Unsupervised NMF, rank 9 \(one per distinct pitch\), seed 0: 20 iterations \(maxIter\)/);
    expect(r.out).toMatch(/template\s+f0 \(Hz\)\s+pitch\s+cents\s+salience/);
    expect(r.out).toMatch(/note-list pitches found: \d\/9/);
    expect(r.out).toMatch(/P = 0\.\d{3}, R = 0\.\d{3}, F = 0\.\d{3}/);
    expect(r.out).toMatch(/backend (native|wasm).*; total \d+\.\d\d s/);
    expect(existsSync(join(out, 'unsupervised-nmf.png'))).toBe(false);
    expect(existsSync(join(out, 'C5.wav'))).toBe(true);
  });
});
