/**
 * `nmfkit drums` in-process: exit code, report, JSON summary (the same as summary.json), the structure of the scores
 * and invariants that do not depend on the exact numbers — NMFD's templates keep their drums, every method beats the
 * unseparated mixture on every drum (SI-SDR) — and NMFD's fit is the one the documented setup gives.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nmfdSync } from 'nmfkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEMO_DATA } from '../src/cli/demo.js';
import { DRUM_SETTINGS, DRUMS, type DrumsSummary } from '../src/cli/drums.js';
import { run } from '../src/cli/main.js';
import { decodeWav, drumTemplates, siSdr, spectrogram, stft } from '../src/index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmfkit-drums-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const wav = (file: string): { samples: Float64Array; sampleRate: number } => decodeWav(readFileSync(join(DEMO_DATA, file)));

it('drumTemplates: one unit-sum K×T template per class, the kick lowest and the hi-hat highest in frequency', () => {
  const { nFft, hop, templateFrames } = DRUM_SETTINGS;
  const samples = DRUMS.map((d) => wav(`drums.samples.${d}.wav`));
  const templates = drumTemplates(
    samples.map((s) => s.samples),
    samples[0]!.sampleRate,
    { nFft, hop, templateFrames },
  );
  const centroids = templates.map((t) => {
    expect([t.rows, t.cols]).toEqual([nFft / 2 + 1, templateFrames]);
    let sum = 0;
    let moment = 0;
    for (let i = 0; i < t.data.length; i++) {
      sum += t.data[i]!;
      moment += Math.floor(i / t.cols) * t.data[i]!;
    }
    expect(sum).toBeCloseTo(1, 12);
    return moment / sum;
  });
  expect(centroids[0]).toBeLessThan(centroids[1]!);
  expect(centroids[1]).toBeLessThan(centroids[2]!);
});

it('nmfkit drums: report, summary, NMFD templates keep their drums, every method beats the mixture', { timeout: 600_000 }, async () => {
  let out = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;
  const code = await run(['drums', '--out', dir, '--json'], { stdout, stderr });
  expect(code).toBe(0);
  const summary = JSON.parse(out) as DrumsSummary;
  expect(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'))).toEqual(summary);
  expect(summary.scores.map((s) => s.method)).toEqual(['NMFD, drum templates', 'NMF, unsupervised', 'oracle Wiener mask']);
  expect(summary.scores[0]!.permutation).toEqual([0, 1, 2]);
  const mix = wav('drums.wav').samples;
  DRUMS.forEach((d, j) => {
    const stem = wav(`drums.${d}.wav`).samples;
    const unseparated = siSdr(stem, mix);
    for (const s of summary.scores) {
      for (const v of [s.sdr[j]!, s.sir[j]!, s.sar[j]!, s.siSdr[j]!]) expect(Number.isFinite(v)).toBe(true);
      expect(s.siSdr[j], `${s.method}, ${d}`).toBeGreaterThan(unseparated);
    }
    expect(summary.sdrGain[j]).toBeCloseTo(summary.scores[0]!.sdr[j]! - summary.scores[1]!.sdr[j]!, 12);
  });
  expect(summary.nmfd.iterations).toBe(DRUM_SETTINGS.nmfdIterations);

  // The NMFD fit is the documented setup: templates from the samples, |STFT| of the mix, 30 iterations.
  const { nFft, hop, templateFrames, nmfdIterations } = DRUM_SETTINGS;
  const samples = DRUMS.map((d) => wav(`drums.samples.${d}.wav`).samples);
  const { sampleRate } = wav('drums.wav');
  const V = spectrogram(stft(mix, sampleRate, { nFft, hop })).V;
  const again = nmfdSync(V, { W: drumTemplates(samples, sampleRate, { nFft, hop, templateFrames }), maxIter: nmfdIterations });
  expect(again.objective).toBeCloseTo(summary.nmfd.objective, 6);
});
