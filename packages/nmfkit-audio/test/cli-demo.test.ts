/**
 * `nmfkit demo` in the test suite with short settings (--max-iter 50: the fits are far from converged, but the
 * score-informed activations already score as at convergence), in-process: exit code, report, JSON summary,
 * figures (valid PNGs of the expected sizes) and the separated audio.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/cli/main.js';
import { decodeWav, encodeWav } from '../src/index.js';

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

interface Scores {
  sdr: number;
  sir: number;
  sar: number;
  siSdr: number;
}

/**
 * The structure and invariants of the demo's scores (not their values, which depend on the iterations): the
 * transcription rows of the three methods, the score-informed fit above its own initialisation; the separation rows
 * of five methods, the ideal ratio mask above every method on SDR and SI-SDR (it is the best soft mask of this
 * STFT), every method above the unseparated mixture on the target, the score-informed fit above its initialisation.
 */
function checkScores(summary: {
  transcription: { results: { method: string; frame: { fMeasure: number }; note: { fMeasure: number } }[] };
  separation: { pitch: string; results: { method: string; target: Scores | null; rest: Scores | null }[] | null };
}): void {
  const transcription = Object.fromEntries(summary.transcription.results.map((r) => [r.method, r]));
  expect(Object.keys(transcription)).toEqual(['score-informed NMF', 'initialisation alone (H₀)', 'unsupervised NMF']);
  for (const r of Object.values(transcription)) {
    for (const v of [r.frame.fMeasure, r.note.fMeasure]) expect(v >= 0 && v <= 1).toBe(true);
  }
  expect(transcription['score-informed NMF']!.frame.fMeasure).toBeGreaterThan(transcription['initialisation alone (H₀)']!.frame.fMeasure);
  expect(summary.separation.pitch).toBe('C5');
  const separation = Object.fromEntries(summary.separation.results!.map((r) => [r.method, r]));
  expect(Object.keys(separation)).toEqual([
    'score-informed NMF',
    'unsupervised NMF',
    'initialisation alone (W₀, H₀)',
    'ideal ratio mask (upper bound)',
    'mixture (no separation)',
  ]);
  const ideal = separation['ideal ratio mask (upper bound)']!;
  for (const [method, r] of Object.entries(separation)) {
    if (r.target === null || r.rest === null) continue;
    for (const key of ['sdr', 'sir', 'sar', 'siSdr'] as const) {
      expect(Number.isFinite(r.target[key]), `${method} ${key}`).toBe(true);
      expect(Number.isFinite(r.rest[key]), `${method} ${key}`).toBe(true);
    }
    for (const key of ['sdr', 'siSdr'] as const) {
      expect(ideal.target![key], `${method} target ${key}`).toBeGreaterThanOrEqual(r.target[key]);
      expect(ideal.rest![key], `${method} rest ${key}`).toBeGreaterThanOrEqual(r.rest[key]);
    }
    if (method !== 'mixture (no separation)') expect(r.target.sdr).toBeGreaterThan(separation['mixture (no separation)']!.target!.sdr);
  }
  expect(separation['score-informed NMF']!.target!.sdr).toBeGreaterThan(separation['initialisation alone (W₀, H₀)']!.target!.sdr);
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
    expect(summary.data.truth).toMatch(/piano-scale\.C5\.wav$/);
    checkScores(summary);
    expect(['native', 'wasm']).toContain(summary.backend);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);

    const sizes: Record<string, [number, number]> = {
      'unsupervised-nmf.png': [1672, 450],
      'score-informed-init.png': [1240, 450],
      'score-informed-nmf.png': [1778, 450],
      'activations-vs-notes.png': [1100, 318],
      'separation.png': [1320, 430],
      'errors.png': [1280, 800],
    };
    for (const [name, [width, height]] of Object.entries(sizes)) {
      const png = PNG.sync.read(readFileSync(join(out, name)));
      expect([name, png.width, png.height]).toEqual([name, width, height]);
      // Its SVG twin parses and has the same size.
      const svg = new Resvg(readFileSync(join(out, name.replace(/png$/, 'svg'))), { font: { loadSystemFonts: false } }).render();
      expect([name, svg.width, svg.height]).toEqual([name, width, height]);
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
    expect(r.out).toMatch(/score-informed NMF\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}\s+0\.\d{3}/);
    expect(r.out).toMatch(/Separation of C5 \(its 2 notes\) from the rest, against the ground truth piano-scale\.C5\.wav/);
    expect(r.out).toMatch(/ideal ratio mask \(upper bound\)(\s+-?\d+\.\d){8}/);
    expect(r.out).toMatch(/backend (native|wasm).*; total \d+\.\d\d s/);
    expect(existsSync(join(out, 'unsupervised-nmf.png'))).toBe(false);
    expect(existsSync(join(out, 'C5.wav'))).toBe(true);
  });

  it("runs on a user's recording and MIDI score (--audio, --score, --target, --truth)", async () => {
    const data = fileURLToPath(new URL('../examples/data/', import.meta.url));
    const out = join(dir, 'own');
    const args = ['demo', '--out', out, '--max-iter', '30', '--no-figures', '--json', '--audio', join(data, 'piano-scale.wav')];
    const r = await cli([...args, '--score', join(data, 'piano-scale.mid'), '--target', 'C5', '--truth', join(data, 'piano-scale.C5.wav')]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.data.notes).toMatch(/piano-scale\.mid$/);
    checkScores(summary);
    // Without --truth there is nothing to score the separation against; without --target the highest pitch (D5).
    const bare = JSON.parse((await cli([...args, '--score', join(data, 'piano-scale.mid')])).out);
    expect(bare.separation).toMatchObject({ pitch: 'D5', results: null });
    expect(existsSync(join(out, 'D5.wav'))).toBe(true);
  });

  it('refuses a damaged MIDI file, a missing --score, a target not in the score, a bad pitch name', async () => {
    const data = fileURLToPath(new URL('../examples/data/', import.meta.url));
    const broken = join(dir, 'broken.mid');
    writeFileSync(broken, readFileSync(join(data, 'piano-scale.mid')).subarray(0, 60));
    const base = ['demo', '--out', join(dir, 'bad'), '--max-iter', '1', '-q', '--audio', join(data, 'piano-scale.wav')];
    const damaged = await cli([...base, '--score', broken]);
    expect(damaged.code).toBe(1);
    expect(damaged.err).toContain(`nmfkit: error: ${broken} is not a readable MIDI file: chunk "MTrk" at offset 14 claims`);
    // Flags that go together: a usage error.
    const alone = await cli(base);
    expect(alone.code).toBe(2);
    expect(alone.err).toMatch(/^nmfkit: error: --audio and --score go together/);
    const absent = await cli([...base, '--score', join(data, 'piano-scale.mid'), '--target', 'C#2']);
    expect(absent.code).toBe(1);
    expect(absent.err).toMatch(/--target C♯2 is not a pitch of .*piano-scale\.mid \(C4 D4 E4 F4 G4 A4 B4 C5 D5\)/);
    const silence = join(dir, 'silence.wav');
    writeFileSync(silence, encodeWav(new Float64Array(1000), 22050));
    const silent = await cli([...base, '--score', join(data, 'piano-scale.mid'), '--truth', silence]);
    expect(silent.code).toBe(1);
    expect(silent.err).toContain(`nmfkit: error: ${silence} is silent over the recording's length`);
    const name = await cli([...base, '--score', join(data, 'piano-scale.mid'), '--target', 'H4']);
    expect(name.code).toBe(2);
    expect(name.err).toMatch(/--target must be a MIDI pitch \(0–127\) or a pitch name/);
  });
});
