/**
 * libnmfd's score-informed initialisations for NMF and NMFD (Driedger et al. 2013; Dittmar & Müller 2016), checked
 * against libnmfd's own `init_templates` and `init_activations` (test/nmfd-init.test.ts, fixture made by
 * scripts/make-nmfd-fixture.py in the nmfkit repository):
 *
 * - `pitchedTemplates`: per distinct pitch (ascending), a K×T template that is ε everywhere but in a band around
 *   each of its first 25 harmonics, where it is 1/h (h = 1, 2, …); the band of harmonic h spans the bins
 *   round(h·f(p − 0.75)/Δf) − 1 … round(h·f(p + 0.75)/Δf) − 1, f the equal-tempered frequency of a fractional MIDI
 *   pitch and Δf = sampleRate/nFft; each template scaled to unit sum. Bands above the top bin are cut off (libnmfd
 *   fails there with an index error).
 * - `pitchedActivations`: per distinct pitch, ε everywhere but 1 over each of its notes, widened by a tolerance
 *   (25 ms) on both sides, from frame round(start/τ) − 1 to round(end/τ) − 1 (τ the hop in seconds; libnmfd's
 *   1-based frames), frames outside [0, N) left out (libnmfd wraps a frame −1 to the last one).
 * - `drumActivations`: per drum class, ε everywhere but 1 at frame round(t/τ) − 1 of each hit, then smoothed row by
 *   row by libnmfd's NEMA filter y(n) = max(x(n), decay·y(n − 1) + (1 − decay)·x(n)), decaying impulses.
 *
 * Rounding is Python's, half to even, so that the bands and frames are libnmfd's to the bin.
 */
import type { Matrix } from 'nmfkit';
import { checkCount, checkInRange, checkNonNegative, rangeError, readList, typeError, describe, readProperty } from 'nmfkit/validation';
import { checkNotes, type NoteEvent } from './notes.js';
import { checkOptions, checkPositive } from './signal.js';

/** libnmfd's EPS, the floor of every initial template and activation. */
const EPS = 2 ** -52;

/** Python's round(): to the nearest integer, halves to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** libnmfd's midi2freq: 440/32 · 2^((p − 9)/12) Hz, p a possibly fractional MIDI pitch. */
const midiToFrequency = (pitch: number): number => (440 / 32) * 2 ** ((pitch - 9) / 12);

const distinct = (values: readonly number[]): number[] => [...new Set(values)].sort((a, b) => a - b);

/** Options of {@link pitchedTemplates}. */
export interface PitchedTemplateOptions {
  /** T, frames of each template. Default 1 (NMF). */
  readonly templateFrames?: number;
  /** Harmonics per template. Default 25. */
  readonly harmonics?: number;
  /** Band half-widths below and above each harmonic, in semitones. Default 0.75 each. */
  readonly toleranceDown?: number;
  readonly toleranceUp?: number;
}

/** One K×T comb template per distinct pitch of `pitches` (ascending), K = nFft/2 + 1 bins of an STFT at sampleRate. */
export function pitchedTemplates(pitches: readonly number[], sampleRate: number, nFft: number, options?: PitchedTemplateOptions): Matrix[] {
  const list = readList('pitches', pitches, 'an array of MIDI pitches', 128, (n) => `pitches has ${n} entries, more than 128`);
  const values = list.map((p, i) => {
    if (typeof p !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `pitches[${i}] must be a MIDI pitch, got ${describe(p)}`);
    return checkInRange(`pitches[${i}]`, p, 0, 127);
  });
  const rate = checkPositive('sampleRate', sampleRate);
  const fft = checkCount('nFft', nFft);
  if (fft < 2 || fft > 2 ** 20) throw rangeError('NMFKIT_INVALID_VALUE', `nFft must be in [2, 2^20], got ${fft}`);
  const o = checkOptions('options', options, ['templateFrames', 'harmonics', 'toleranceDown', 'toleranceUp']);
  const T = o.templateFrames === undefined ? 1 : checkCount('options.templateFrames', o.templateFrames);
  const harmonics = o.harmonics === undefined ? 25 : checkCount('options.harmonics', o.harmonics);
  const down = o.toleranceDown === undefined ? 0.75 : checkNonNegative('options.toleranceDown', o.toleranceDown);
  const up = o.toleranceUp === undefined ? 0.75 : checkNonNegative('options.toleranceUp', o.toleranceUp);
  if (T > 4096 || harmonics > 4096)
    throw rangeError('NMFKIT_INVALID_VALUE', 'options.templateFrames and options.harmonics must be at most 4096');
  const K = fft / 2 + 1;
  const resolution = rate / fft;
  return distinct(values).map((pitch) => {
    const data = new Float64Array(K * T).fill(EPS);
    for (let g = 0; g < harmonics; g++) {
      const lower = roundHalfEven(((g + 1) * midiToFrequency(pitch - down)) / resolution) - 1;
      const upper = roundHalfEven(((g + 1) * midiToFrequency(pitch + up)) / resolution);
      for (let k = Math.max(0, lower); k < Math.min(K, upper); k++) data.fill(1 / (g + 1), k * T, (k + 1) * T);
    }
    let sum = 0;
    for (const x of data) sum += x;
    for (let i = 0; i < data.length; i++) data[i] = data[i]! / (EPS + sum);
    return { rows: K, cols: T, data };
  });
}

/** One row per distinct pitch of `notes` (ascending), `frames` columns of `timeResolution` seconds each. */
export function pitchedActivations(
  notes: readonly NoteEvent[],
  frames: number,
  timeResolution: number,
  options?: { readonly tolerance?: number },
): Matrix {
  const list = checkNotes('notes', notes);
  const N = checkCount('frames', frames);
  const tau = checkPositive('timeResolution', timeResolution);
  const o = checkOptions('options', options, ['tolerance']);
  const tolerance = o.tolerance === undefined ? 0.025 : checkNonNegative('options.tolerance', o.tolerance);
  const pitches = distinct(list.map((n) => n.pitch));
  const H = new Float64Array(pitches.length * N).fill(EPS);
  for (const note of list) {
    const row = pitches.indexOf(note.pitch);
    const first = roundHalfEven((note.onset - tolerance) / tau) - 1;
    const last = roundHalfEven((note.offset + tolerance) / tau) - 1;
    for (let n = Math.max(0, first); n <= Math.min(N - 1, last); n++) H[row * N + n] = 1;
  }
  return { rows: pitches.length, cols: N, data: H };
}

/** One row per drum class (0 … drums − 1): decaying impulses at the hits `{ drum, time }` (time in seconds). */
export function drumActivations(
  hits: readonly { readonly drum: number; readonly time: number }[],
  drums: number,
  frames: number,
  timeResolution: number,
  options?: { readonly decay?: number },
): Matrix {
  const R = checkCount('drums', drums);
  const N = checkCount('frames', frames);
  const list = readList('hits', hits, 'an array of { drum, time } hits', N * R, (n) => `hits has ${n} entries, more than frames × drums`);
  const tau = checkPositive('timeResolution', timeResolution);
  const o = checkOptions('options', options, ['decay']);
  const decay = o.decay === undefined ? 0.9 : checkInRange('options.decay', o.decay, 0, 1);
  const H = new Float64Array(R * N).fill(EPS);
  list.forEach((hit, i) => {
    if (hit === null || typeof hit !== 'object')
      throw typeError('NMFKIT_INVALID_TYPE', `hits[${i}] must be a { drum, time } object, got ${describe(hit)}`);
    const drum = checkInRange(`hits[${i}].drum`, readProperty(`hits[${i}].drum`, hit, 'drum'), 0, R - 1);
    if (!Number.isInteger(drum)) throw rangeError('NMFKIT_INVALID_VALUE', `hits[${i}].drum must be an integer, got ${drum}`);
    const time = checkNonNegative(`hits[${i}].time`, readProperty(`hits[${i}].time`, hit, 'time'));
    const n = roundHalfEven(time / tau) - 1;
    if (n >= 0 && n < N) H[drum * N + n] = 1;
  });
  // libnmfd's NEMA, with its guard against an unstable filter.
  const d = Math.max(0, Math.min(0.9999999, decay));
  for (let r = 0; r < R; r++) {
    for (let n = 1; n < N; n++) {
      const x = H[r * N + n]!;
      H[r * N + n] = Math.max(d * H[r * N + n - 1]! + x * (1 - d), x);
    }
  }
  return { rows: R, cols: N, data: H };
}
