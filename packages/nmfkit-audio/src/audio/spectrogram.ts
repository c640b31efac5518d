/**
 * Spectrograms for NMF: the magnitude |X| or power |X|² of an STFT, optionally log-compressed as
 * log(1 + γ·|X|) (Müller, FMP Sect. 3.1.2.1), optionally restricted to a frequency range, with the frequency
 * (Hz) and time (s) axes of its rows and columns.
 */
import type { Matrix } from 'nmfkit';
import { checkChoice, checkNonNegative, rangeError } from 'nmfkit/validation';
import { checkOptions } from './signal.js';
import { checkStft, type Stft } from './stft.js';

/** Options of {@link spectrogram}. */
export interface SpectrogramOptions {
  /** `'magnitude'` |X| (default) or `'power'` |X|². */
  readonly kind?: 'magnitude' | 'power';
  /** γ of the log compression log(1 + γ·v); 0 (default) leaves the values linear. */
  readonly log?: number;
  /** Lowest bin frequency kept, in Hz. Default 0. */
  readonly minFrequency?: number;
  /** Highest bin frequency kept, in Hz. Default: the Nyquist frequency. */
  readonly maxFrequency?: number;
}

/** A nonnegative K×N spectrogram with its axes. */
export interface Spectrogram {
  /** K×N, bins × frames, row-major: ready for `nmf`. */
  readonly V: Matrix;
  /** Frequency of each row in Hz. */
  readonly frequencies: Float64Array;
  /** Time of each column in seconds. */
  readonly times: Float64Array;
  /** STFT bin of row 0 (nonzero when `minFrequency` cut bins off). */
  readonly binOffset: number;
  readonly kind: 'magnitude' | 'power';
  /** γ of the log compression (0: none). */
  readonly log: number;
}

/** The (compressed) magnitude or power spectrogram of an STFT. Does not modify `spec`. */
export function spectrogram(spec: Stft, options?: SpectrogramOptions): Spectrogram {
  const s = checkStft('spec', spec, true);
  const o = checkOptions('options', options, ['kind', 'log', 'minFrequency', 'maxFrequency']);
  const kind = o.kind === undefined ? 'magnitude' : checkChoice('options.kind', o.kind, ['magnitude', 'power'] as const);
  const gamma = o.log === undefined ? 0 : checkNonNegative('options.log', o.log);
  const nyquist = s.sampleRate / 2;
  const fMin = o.minFrequency === undefined ? 0 : checkNonNegative('options.minFrequency', o.minFrequency);
  const fMax = o.maxFrequency === undefined ? nyquist : checkNonNegative('options.maxFrequency', o.maxFrequency);
  if (fMax < fMin)
    throw rangeError('NMFKIT_INVALID_VALUE', `options.maxFrequency (${fMax} Hz) must be ≥ options.minFrequency (${fMin} Hz)`);

  let first = 0;
  while (first < s.bins && s.frequencies[first]! < fMin) first++;
  let last = s.bins - 1;
  while (last >= 0 && s.frequencies[last]! > fMax) last--;
  if (last < first) {
    throw rangeError('NMFKIT_INVALID_VALUE', `no STFT bin lies in [${fMin}, ${fMax}] Hz (bins are ${s.sampleRate / s.nFft} Hz apart)`);
  }
  const rows = last - first + 1;
  const { frames, re, im } = s;
  const data = new Float64Array(rows * frames);
  for (let k = 0; k < rows; k++) {
    const src = (k + first) * frames;
    const dst = k * frames;
    for (let n = 0; n < frames; n++) {
      const a = re[src + n]!;
      const b = im[src + n]!;
      const power = a * a + b * b;
      const v = kind === 'power' ? power : Math.sqrt(power);
      data[dst + n] = gamma > 0 ? Math.log1p(gamma * v) : v;
    }
  }
  return {
    V: { rows, cols: frames, data },
    // Copied by hand: slice() would look up a constructor on the caller's arrays.
    frequencies: copyRange(s.frequencies, first, last + 1),
    times: copyRange(s.times, 0, s.frames),
    binOffset: first,
    kind,
    log: gamma,
  };
}

function copyRange(source: Float64Array, from: number, to: number): Float64Array {
  const out = new Float64Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = source[i]!;
  return out;
}
