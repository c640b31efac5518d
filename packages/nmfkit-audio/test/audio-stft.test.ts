/**
 * STFT, ISTFT and spectrograms: exact reconstruction, agreement with a direct DFT, axes, log compression, input
 * validation and that inputs are never modified.
 */
import { describe, expect, it } from 'vitest';
import { istft, spectrogram, stft, windowFunction } from '../src/index.js';

/** Uniform noise in [-1, 1) from a seeded mulberry32 stream. */
function noise(length: number, seed: number): Float64Array {
  let a = seed >>> 0;
  return Float64Array.from({ length }, () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  });
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('stft / istft', () => {
  it.each([
    { nFft: 512, hop: 128, window: 'hann' as const, length: 10_000 },
    { nFft: 1024, hop: 256, window: 'hamming' as const, length: 9_999 },
    { nFft: 256, hop: 128, window: 'blackman' as const, length: 3_001 },
    { nFft: 64, hop: 64, window: 'rectangular' as const, length: 1_000 },
    { nFft: 2048, hop: 512, window: 'hann' as const, length: 700 }, // shorter than one window
  ])('reconstructs a signal to 1e-9: %o', ({ nFft, hop, window, length }) => {
    const x = noise(length, nFft + hop + length);
    const spec = stft(x, 22050, { nFft, hop, window });
    const y = istft(spec);
    expect(y.length).toBe(length);
    expect(maxAbsDiff(x, y)).toBeLessThan(1e-9);
  });

  it('reconstructs the interior without centring (center: false)', () => {
    const x = noise(5000, 7);
    const nFft = 512;
    const spec = stft(x, 8000, { nFft, hop: 128, center: false });
    expect(spec.frames).toBe(1 + Math.floor((5000 - nFft) / 128));
    const y = istft(spec);
    // Every sample covered by a window with nonzero weight comes back; sample 0 is under w[0] = 0 only.
    const last = (spec.frames - 1) * 128 + nFft;
    expect(maxAbsDiff(x.subarray(1, last - 1), y.subarray(1, last - 1))).toBeLessThan(1e-9);
    expect(y[0]).toBe(0);
  });

  it('matches a direct DFT of each windowed frame', () => {
    const x = noise(300, 3);
    const nFft = 64;
    const hop = 16;
    const spec = stft(x, 1000, { nFft, hop });
    const w = windowFunction('hann', nFft);
    for (const n of [0, 5, spec.frames - 1]) {
      for (const k of [0, 1, 7, nFft / 2]) {
        let re = 0;
        let im = 0;
        for (let m = 0; m < nFft; m++) {
          const i = n * hop - nFft / 2 + m;
          const v = i >= 0 && i < x.length ? w[m]! * x[i]! : 0;
          re += v * Math.cos((2 * Math.PI * k * m) / nFft);
          im -= v * Math.sin((2 * Math.PI * k * m) / nFft);
        }
        expect(spec.re[k * spec.frames + n]).toBeCloseTo(re, 10);
        expect(spec.im[k * spec.frames + n]).toBeCloseTo(im, 10);
      }
    }
  });

  it('gives frequency and time axes in Hz and seconds', () => {
    const spec = stft(new Float64Array(22050), 22050, { nFft: 2048, hop: 512 });
    expect(spec.bins).toBe(1025);
    expect(spec.frames).toBe(1 + Math.floor(22050 / 512));
    expect(spec.frequencies[1]).toBeCloseTo(22050 / 2048, 12);
    expect(spec.frequencies[1024]).toBe(11025);
    expect(spec.times[2]).toBeCloseTo((2 * 512) / 22050, 12);
    const uncentred = stft(new Float64Array(22050), 22050, { nFft: 2048, hop: 512, center: false });
    expect(uncentred.times[0]).toBeCloseTo(1024 / 22050, 12);
  });

  it('finds a sinusoid in its bin, with magnitude, power and log compression', () => {
    const sr = 8000;
    const f = (10 * sr) / 256; // exactly bin 10 for nFft = 256
    const x = Float64Array.from({ length: 4096 }, (_, i) => Math.sin((2 * Math.PI * f * i) / sr));
    const spec = stft(x, sr, { nFft: 256, hop: 64 });
    const mag = spectrogram(spec);
    const n = 20;
    let peak = 0;
    for (let k = 1; k < mag.V.rows; k++) if (mag.V.data[k * mag.V.cols + n]! > mag.V.data[peak * mag.V.cols + n]!) peak = k;
    expect(peak).toBe(10);
    // A unit sinusoid under a periodic Hann window of length N peaks at N/4.
    expect(mag.V.data[10 * mag.V.cols + n]).toBeCloseTo(256 / 4, 8);
    const power = spectrogram(spec, { kind: 'power' });
    expect(power.V.data[10 * mag.V.cols + n]).toBeCloseTo(64 ** 2, 6);
    const compressed = spectrogram(spec, { log: 100 });
    expect(compressed.V.data[10 * mag.V.cols + n]).toBeCloseTo(Math.log1p(100 * 64), 8);
    const cropped = spectrogram(spec, { minFrequency: 200, maxFrequency: 1000 });
    expect(cropped.binOffset).toBe(Math.ceil(200 / (sr / 256)));
    expect(cropped.frequencies[0]).toBeGreaterThanOrEqual(200);
    expect(cropped.frequencies[cropped.frequencies.length - 1]).toBeLessThanOrEqual(1000);
    expect(cropped.V.rows).toBe(cropped.frequencies.length);
  });

  it('does not modify its inputs', () => {
    const x = noise(2000, 11);
    const copy = x.slice();
    const spec = stft(x, 16000, { nFft: 256 });
    expect(x).toEqual(copy);
    const re = spec.re.slice();
    istft(spec);
    spectrogram(spec, { log: 1 });
    expect(spec.re).toEqual(re);
  });

  it('rejects bad arguments with messages that name them', () => {
    expect(() => stft([0, 1, Number.NaN, 3], 8000, { nFft: 4 })).toThrow(/signal must be finite, but signal\[2\] is NaN/);
    expect(() => stft('abc' as never, 8000)).toThrow(TypeError);
    expect(() => stft([1, 2, 3], 0)).toThrow(/sampleRate must be a finite number > 0, got 0/);
    expect(() => stft(noise(100, 1), 8000, { nFft: 100 })).toThrow(/options.nFft must be a power of two/);
    expect(() => stft(noise(100, 1), 8000, { nFft: 64, hop: 65 })).toThrow(/options.hop must be at most nFft = 64, got 65/);
    expect(() => stft(noise(100, 1), 8000, { nFft: 64, window: 'kaiser' as never })).toThrow(/options.window must be one of/);
    expect(() => stft(noise(100, 1), 8000, { nFft: 64, window: [1, 2] })).toThrow(/options.window must have nFft = 64 samples, got 2/);
    expect(() => stft(noise(100, 1), 8000, { nfft: 64 } as never)).toThrow(/unknown option options.nfft/);
    expect(() => stft(noise(10, 1), 8000, { nFft: 64, center: false })).toThrow(/fewer than nFft = 64/);
    const spec = stft(noise(100, 1), 8000, { nFft: 64 });
    expect(() => istft({ ...spec, re: new Float64Array(3) })).toThrow(/spec.re must have \d+ entries, got 3/);
    expect(() => spectrogram(spec, { kind: 'energy' as never })).toThrow(/options.kind must be one of 'magnitude', 'power'/);
    expect(() => spectrogram(spec, { log: -1 })).toThrow(/options.log must be a finite number ≥ 0/);
    expect(() => spectrogram(spec, { minFrequency: 3000, maxFrequency: 1000 })).toThrow(/maxFrequency/);
  });
});
