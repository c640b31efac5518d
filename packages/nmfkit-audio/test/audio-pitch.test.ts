/**
 * Template pitch estimation on spectra of synthetic tones with known fundamentals: harmonic, with stretched
 * (piano-like) partials, with a weak fundamental, under log compression; and input validation.
 */
import { describe, expect, it } from 'vitest';
import { estimateTemplatePitches, hzToMidi, MIN_PITCH_SALIENCE, spectrogram, stft } from '../src/index.js';

const SR = 22050;

/** A 1-second tone: partials m = 1…count at f0·m·√(1 + B·m²) with the given amplitudes. */
function tone(f0: number, amplitudes: readonly number[], B = 0): Float64Array {
  const x = new Float64Array(SR);
  amplitudes.forEach((a, i) => {
    const m = i + 1;
    const f = f0 * m * Math.sqrt(1 + B * m * m);
    if (f >= SR / 2) return;
    for (let n = 0; n < x.length; n++) x[n] = x[n]! + a * Math.sin((2 * Math.PI * f * n) / SR + m);
  });
  return x;
}

/** The mean (optionally log-compressed) magnitude spectrum of a signal: a K×1 template. */
function template(x: Float64Array, log = 0): { W: { rows: number; cols: number; data: Float64Array }; frequencies: Float64Array } {
  const s = spectrogram(stft(x, SR, { nFft: 2048, hop: 512 }), { log });
  const { rows, cols, data } = s.V;
  const mean = new Float64Array(rows);
  for (let k = 0; k < rows; k++) for (let n = 0; n < cols; n++) mean[k] = mean[k]! + data[k * cols + n]! / cols;
  return { W: { rows, cols: 1, data: mean }, frequencies: s.frequencies };
}

function columns(...ts: ReturnType<typeof template>[]): { rows: number; cols: number; data: Float64Array } {
  const rows = ts[0]!.W.rows;
  const data = new Float64Array(rows * ts.length);
  ts.forEach((t, c) => t.W.data.forEach((v, k) => (data[k * ts.length + c] = v)));
  return { rows, cols: ts.length, data };
}

const harmonic = Array.from({ length: 12 }, (_, i) => 1 / (i + 1));

describe('estimateTemplatePitches', () => {
  it('finds the fundamental of harmonic tones to a few cents, several templates at once', () => {
    const f0s = [110, 261.63, 311.13, 523.25, 987.77];
    const ts = f0s.map((f) => template(tone(f, harmonic)));
    const est = estimateTemplatePitches(columns(...ts), ts[0]!.frequencies);
    est.forEach((e, i) => {
      expect(e.component).toBe(i);
      expect(e.midi).toBe(Math.round(hzToMidi(f0s[i]!)));
      expect(Math.abs(1200 * Math.log2(e.frequency / f0s[i]!))).toBeLessThan(3);
      expect(e.salience).toBeGreaterThan(0.7);
      expect(e.harmonic).toBe(true);
    });
    expect(est.map((e) => e.name)).toEqual(['A2', 'C4', 'D♯4', 'C5', 'B5']);
  });

  it('follows the fundamental, not the stretched upper partials, of a piano-like tone', () => {
    const f0 = 261.63;
    const [e] = estimateTemplatePitches(template(tone(f0, harmonic, 4e-4), 1).W, template(tone(f0, harmonic)).frequencies);
    expect(e!.name).toBe('C4');
    expect(Math.abs(1200 * Math.log2(e!.frequency / f0))).toBeLessThan(5);
  });

  it('avoids octave errors on a weak fundamental and on log-compressed spectra', () => {
    const weak = [0.15, 1, 0.6, 0.5, 0.3, 0.25, 0.2, 0.1];
    for (const f0 of [196, 392]) {
      const t = template(tone(f0, weak), 1);
      const [e] = estimateTemplatePitches(t.W, t.frequencies);
      expect(e!.midi).toBe(Math.round(hzToMidi(f0)));
    }
  });

  it('calls a noise template inharmonic (salience below MIN_PITCH_SALIENCE)', () => {
    let seed = 11;
    const K = 1025;
    const frequencies = Float64Array.from({ length: K }, (_, k) => (k * 22050) / 2048);
    for (let trial = 0; trial < 5; trial++) {
      const data = Float64Array.from({ length: K }, () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
      const [e] = estimateTemplatePitches({ rows: K, cols: 1, data }, frequencies);
      expect(e!.salience).toBeLessThan(MIN_PITCH_SALIENCE);
      expect(e!.harmonic).toBe(false);
      expect(estimateTemplatePitches({ rows: K, cols: 1, data }, frequencies, { minSalience: 0 })[0]!.harmonic).toBe(true);
    }
  });

  it('reports an all-zero template as unknown', () => {
    const t = template(tone(440, harmonic));
    const W = columns(t, { W: { rows: t.W.rows, cols: 1, data: new Float64Array(t.W.rows) }, frequencies: t.frequencies });
    const [a, zero] = estimateTemplatePitches(W, t.frequencies);
    expect(a!.name).toBe('A4');
    expect(zero!.salience).toBe(0);
    expect(zero!.harmonic).toBe(false);
    expect(zero!.frequency).toBeNaN();
    expect(zero!.name).toBe('–');
  });

  it('validates its arguments and does not modify W', () => {
    const t = template(tone(440, harmonic));
    const copy = t.W.data.slice();
    estimateTemplatePitches(t.W, t.frequencies, { minPitch: 60, maxPitch: 80, resolution: 5 });
    expect(t.W.data).toEqual(copy);
    expect(() => estimateTemplatePitches(t.W, t.frequencies.subarray(1))).toThrow(/frequencies must have 1025 entries, got 1024/);
    expect(() => estimateTemplatePitches(t.W, t.frequencies, { minPitch: 80, maxPitch: 60 })).toThrow(
      /options.maxPitch \(60\) must be ≥ options.minPitch \(80\)/,
    );
    expect(() => estimateTemplatePitches(t.W, t.frequencies, { harmonic: 3 } as never)).toThrow(/unknown option options.harmonic/);
    expect(() => estimateTemplatePitches({ rows: 2, cols: 1, data: [1, -1] }, [0, 10])).toThrow(/W must be finite and ≥ 0/);
  });
});
