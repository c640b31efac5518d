/**
 * Short-time Fourier transform and its inverse, with FFTs from the `fft.js` package.
 *
 * Conventions (those of librosa, which the FMP notebooks use):
 * - frame n covers samples n·hop … n·hop + nFft − 1 of the signal, which with `center` (the default) is first
 *   padded with nFft/2 zeros on each side, so frame n is centred on sample n·hop, i.e. at time n·hop / sampleRate;
 *   there are 1 + ⌊(length + 2·pad − nFft) / hop⌋ frames (librosa's count), with `center` at least as many as
 *   reach the last sample (which matters only for hop > nFft/2);
 * - X(k, n) = Σ_m w(m)·x(n·hop + m)·e^{−2πikm/nFft} for the bins k = 0 … nFft/2 (frequency k·sampleRate / nFft);
 * - the inverse is the least-squares weighted overlap-add x = Σ_n w·ifft(X(·, n)) ⊘ Σ_n w², which reconstructs
 *   a signal exactly (to rounding) wherever the squared windows overlap to a nonzero sum.
 */
import FFT from 'fft.js';
import { checkCount, checkedLength, checkedSize, checkTypedArray, describe, rangeError, readProperty, typeError } from 'nmfkit/validation';
import { checkBoolean, checkOptions, checkPositive, toSignal } from './signal.js';
import { WINDOW_NAMES, windowFunction, type WindowName } from './window.js';

/** Options of {@link stft}. */
export interface StftOptions {
  /** FFT length = window length, a power of two in [4, 2^20]. Default 2048. */
  readonly nFft?: number;
  /** Hop size in samples, an integer in [1, nFft]. Default nFft/4. */
  readonly hop?: number;
  /** A window name (periodic, default 'hann') or the nFft window samples themselves. */
  readonly window?: WindowName | Float64Array | Float32Array | readonly number[];
  /** Pad nFft/2 zeros on both sides so that frame n is centred at n·hop. Default true. */
  readonly center?: boolean;
}

/**
 * A complex STFT. Entry (k, n) — bin k, frame n — is `re[k * frames + n] + i·im[k * frames + n]`: the same
 * row-major bins × frames layout as a spectrogram matrix V (K×N).
 */
export interface Stft {
  readonly sampleRate: number;
  readonly nFft: number;
  readonly hop: number;
  readonly center: boolean;
  /** The analysis window (nFft samples). */
  readonly window: Float64Array;
  /** nFft/2 + 1. */
  readonly bins: number;
  readonly frames: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
  /** Samples of the analysed signal; the default length of {@link istft}'s output. */
  readonly length: number;
  /** Centre frequency of every bin in Hz: k·sampleRate / nFft. */
  readonly frequencies: Float64Array;
  /** Centre time of every frame in seconds. */
  readonly times: Float64Array;
}

/** Options of {@link istft}. */
export interface IstftOptions {
  /** Samples to return. Default: the analysed signal's length (`stft.length`). */
  readonly length?: number;
}

const MAX_NFFT = 2 ** 20;
const ffts = new Map<number, FFT>();

function fftOf(size: number): FFT {
  let fft = ffts.get(size);
  if (!fft) {
    fft = new FFT(size);
    ffts.set(size, fft);
  }
  return fft;
}

function checkNfft(name: string, value: unknown): number {
  const n = checkCount(name, value);
  if (n < 4 || n > MAX_NFFT || (n & (n - 1)) !== 0) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be a power of two in [4, 2^20], got ${describe(value)}`);
  }
  return n;
}

function resolveWindow(value: unknown, nFft: number): Float64Array {
  if (value === undefined) return windowFunction('hann', nFft);
  if (typeof value === 'string') {
    if (!(WINDOW_NAMES as readonly string[]).includes(value)) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `options.window must be one of ${WINDOW_NAMES.map((w) => `'${w}'`).join(', ')} or an array of nFft samples, got ${describe(value)}`,
      );
    }
    return windowFunction(value as WindowName, nFft);
  }
  const window = toSignal('options.window', value);
  if (window.length !== nFft)
    throw rangeError('NMFKIT_INVALID_VALUE', `options.window must have nFft = ${nFft} samples, got ${window.length}`);
  if (!window.some((x) => x !== 0)) throw rangeError('NMFKIT_INVALID_VALUE', 'options.window must not be all zeros');
  return window;
}

/** Frequencies (Hz) of the nFft/2 + 1 bins. */
export function binFrequencies(sampleRate: number, nFft: number): Float64Array {
  const f = new Float64Array(nFft / 2 + 1);
  for (let k = 0; k < f.length; k++) f[k] = (k * sampleRate) / nFft;
  return f;
}

/** Centre times (s) of the frames. */
export function frameTimes(frames: number, sampleRate: number, hop: number, nFft: number, center: boolean): Float64Array {
  const t = new Float64Array(frames);
  const offset = center ? 0 : nFft / 2;
  for (let n = 0; n < frames; n++) t[n] = (n * hop + offset) / sampleRate;
  return t;
}

/**
 * The STFT of a real signal (see the module comment for the conventions). Does not modify `signal`.
 * @throws TypeError/RangeError naming the argument for a bad signal, sample rate or option.
 */
export function stft(signal: Float64Array | Float32Array | readonly number[], sampleRate: number, options?: StftOptions): Stft {
  const x = toSignal('signal', signal);
  checkPositive('sampleRate', sampleRate);
  const o = checkOptions('options', options, ['nFft', 'hop', 'window', 'center']);
  const nFft = o.nFft === undefined ? 2048 : checkNfft('options.nFft', o.nFft);
  const hop = o.hop === undefined ? nFft / 4 : checkCount('options.hop', o.hop);
  if (hop > nFft) throw rangeError('NMFKIT_INVALID_VALUE', `options.hop must be at most nFft = ${nFft}, got ${hop}`);
  const center = o.center === undefined ? true : checkBoolean('options.center', o.center);
  const window = resolveWindow(o.window, nFft);

  const pad = center ? nFft / 2 : 0;
  const padded = x.length + 2 * pad;
  if (padded < nFft) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `signal has ${x.length} samples, fewer than nFft = ${nFft}: use center: true or a shorter nFft`,
    );
  }
  // librosa's frame count; with `center` and hop > nFft/2 it can leave the signal's last samples outside every
  // frame, so frames are added (over more zero padding) until the last frame reaches the last sample.
  let frames = 1 + Math.floor((padded - nFft) / hop);
  if (center) frames = Math.max(frames, 1 + Math.ceil((x.length + pad - nFft) / hop));
  const bins = nFft / 2 + 1;
  checkedSize(`the STFT of signal (options.nFft = ${nFft}, options.hop = ${hop})`, bins, frames);
  const re = new Float64Array(bins * frames);
  const im = new Float64Array(bins * frames);
  const fft = fftOf(nFft);
  const frame = new Float64Array(nFft);
  const out = fft.createComplexArray() as number[];
  for (let n = 0; n < frames; n++) {
    const start = n * hop - pad; // index into x of the frame's first sample
    for (let m = 0; m < nFft; m++) {
      const i = start + m;
      frame[m] = i >= 0 && i < x.length ? window[m]! * x[i]! : 0;
    }
    fft.realTransform(out, frame);
    for (let k = 0; k < bins; k++) {
      re[k * frames + n] = out[2 * k]!;
      im[k * frames + n] = out[2 * k + 1]!;
    }
  }
  return {
    sampleRate,
    nFft,
    hop,
    center,
    window,
    bins,
    frames,
    re,
    im,
    length: x.length,
    frequencies: binFrequencies(sampleRate, nFft),
    times: frameTimes(frames, sampleRate, hop, nFft, center),
  };
}

/** The fields of an {@link Stft} that {@link istft} and the separation use. */
export type StftCore = Omit<Stft, 'frequencies' | 'times'>;

/**
 * Reads the fields of an {@link Stft} that the inverse, the spectrogram (`withAxes`: also `frequencies` and
 * `times`) and the separation use, each once, and checks them. Every field is read before any is checked, so a
 * getter of a later field cannot change an array already checked. The arrays are the caller's own (see
 * checkTypedArray), only ever read.
 */
export function checkStft(name: string, value: unknown, withAxes?: false): StftCore;
export function checkStft(name: string, value: unknown, withAxes: true): Stft;
export function checkStft(name: string, value: unknown, withAxes = false): StftCore | Stft {
  if (value === null || typeof value !== 'object')
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be an STFT object (from stft()), got ${describe(value)}`);
  const keys = ['nFft', 'hop', 'frames', 'bins', 'center', 'sampleRate', 'length', 're', 'im', 'window'];
  if (withAxes) keys.push('frequencies', 'times');
  const s: Record<string, unknown> = {};
  for (const key of keys) s[key] = readProperty(`${name}.${key}`, value, key);
  const nFft = checkNfft(`${name}.nFft`, s.nFft);
  const hop = checkCount(`${name}.hop`, s.hop);
  if (hop > nFft) throw rangeError('NMFKIT_INVALID_VALUE', `${name}.hop must be at most ${name}.nFft = ${nFft}, got ${hop}`);
  const frames = checkCount(`${name}.frames`, s.frames);
  const bins = nFft / 2 + 1;
  if (s.bins !== bins) throw rangeError('NMFKIT_INVALID_VALUE', `${name}.bins must be nFft/2 + 1 = ${bins}, got ${describe(s.bins)}`);
  const center = checkBoolean(`${name}.center`, s.center);
  const sampleRate = checkPositive(`${name}.sampleRate`, s.sampleRate);
  const length = checkedLength(`${name}.length`, checkCount(`${name}.length`, s.length, true));
  const f64 = (part: string, expected: number): Float64Array =>
    checkTypedArray<Float64Array>(`${name}.${part}`, s[part], ['Float64Array'], 'a Float64Array', expected);
  const core: StftCore = {
    sampleRate,
    nFft,
    hop,
    center,
    bins,
    frames,
    length,
    re: f64('re', bins * frames),
    im: f64('im', bins * frames),
    window: f64('window', nFft),
  };
  return withAxes ? { ...core, frequencies: f64('frequencies', bins), times: f64('times', frames) } : core;
}

/**
 * The inverse STFT: weighted overlap-add of the inverse FFTs, divided by the overlapped squared window
 * (librosa's `istft`). Reconstructs the analysed signal to rounding error when the STFT is unmodified; for a
 * modified (masked) STFT it gives the least-squares signal estimate. Samples that no window covers with a
 * nonzero weight (only possible with `center: false`) come out as 0. Does not modify `spec`.
 */
export function istft(spec: Stft, options?: IstftOptions): Float64Array {
  const s = checkStft('spec', spec);
  const o = checkOptions('options', options, ['length']);
  const length = o.length === undefined ? s.length : checkedLength('options.length', checkCount('options.length', o.length, true));
  return inverse(s, s.re, s.im, length);
}

/** {@link istft} of the spectrum re + i·im (bins × frames) with the framing of a checked STFT. */
export function inverse(s: StftCore, re: Float64Array, im: Float64Array, length: number): Float64Array {
  const { nFft, hop, frames, bins, window } = s;
  const pad = s.center ? nFft / 2 : 0;
  const total = Math.max((frames - 1) * hop + nFft, length + pad);
  const y = new Float64Array(total);
  const norm = new Float64Array(total);
  const fft = fftOf(nFft);
  const spectrum = fft.createComplexArray() as number[];
  const out = fft.createComplexArray() as number[];
  for (let n = 0; n < frames; n++) {
    // Hermitian-symmetric full spectrum of a real frame; DC and Nyquist are real.
    for (let k = 0; k < bins; k++) {
      spectrum[2 * k] = re[k * frames + n]!;
      spectrum[2 * k + 1] = k === 0 || k === bins - 1 ? 0 : im[k * frames + n]!;
    }
    for (let k = bins; k < nFft; k++) {
      spectrum[2 * k] = spectrum[2 * (nFft - k)]!;
      spectrum[2 * k + 1] = -spectrum[2 * (nFft - k) + 1]!;
    }
    fft.inverseTransform(out, spectrum);
    const start = n * hop;
    for (let m = 0; m < nFft; m++) {
      y[start + m] = y[start + m]! + window[m]! * out[2 * m]!;
      norm[start + m] = norm[start + m]! + window[m]! * window[m]!;
    }
  }
  const result = new Float64Array(length);
  let peak = 0;
  // Indexed, not for…of: the window may be the caller's array, whose iterator is theirs to replace.
  for (let m = 0; m < nFft; m++) peak = Math.max(peak, window[m]! * window[m]!);
  const tiny = 1e-10 * peak;
  for (let i = 0; i < length; i++) {
    const j = i + pad;
    if (j < total && norm[j]! > tiny) result[i] = y[j]! / norm[j]!;
  }
  return result;
}
