/**
 * Score-informed NMF initialisation (Müller, FMP Sect. 8.3.2; libfmp.c8 `init_nmf_template_pitch`,
 * `init_nmf_activation_score` and their `_onset` variants). Multiplicative updates keep zero entries zero, so
 * the zeros of W0 and H0 are constraints that survive the whole fit:
 *
 * - **W0**, one harmonic template per pitch p with fundamental f0 = tuning·2^((p−69)/12): for every harmonic
 *   m = 1, 2, … the bins within the relative tolerance band [(1 − τ)·m·f0, (1 + τ)·m·f0] get the value 1/m, all
 *   other bins 0. As in libfmp the band reaches down to the bin at or below (1 − τ)·m·f0 (libfmp's index
 *   floor), and where the bands of high harmonics overlap the higher harmonic's value is kept.
 * - **H0**, one row per pitch: 1 in every frame whose centre time lies within [onset − before, offset + after]
 *   of a note of that pitch, 0 elsewhere. (libfmp truncates the end index; here both ends are inclusive.)
 * - **Onset templates** (`onsets: true`, libfmp's `_onset` variant): before every pitch component an onset
 *   component whose template is the constant `onsetLevel` over all bins (a broadband click) and whose
 *   activation is 1 within [onset − onsetBefore, onset + onsetAfter] of the pitch's notes.
 */
import type { Matrix } from 'nmfkit';
import { checkFunction, checkNonNegative, describe, rangeError, readList, readProperty, typeError } from 'nmfkit/validation';
import { checkNotes, checkPitchList, checkTuning, midiToHz, pitchName, uniquePitches, type NoteEvent } from './notes.js';
import { checkBoolean, checkInRange, checkOptions, checkPositive, toAxis, type SignalData } from './signal.js';

/** Options of {@link scoreInformedInit}. */
export interface ScoreInitOptions {
  /** MIDI pitches of the pitch components, in order. Default: the notes' distinct pitches, ascending. */
  readonly pitches?: readonly number[];
  /** τ, the relative half-width of each harmonic's band in W0. Default 0.05 (libfmp's `tol_pitch`). */
  readonly pitchTolerance?: number;
  /** [before, after]: seconds H0 stays open before each onset and after each offset. Default [0.2, 0.5] (libfmp's `tol_note`). */
  readonly noteTolerance?: readonly [number, number];
  /** Add an onset component before every pitch component. Default false. */
  readonly onsets?: boolean;
  /** [before, after]: the seconds around each onset where its onset component may be active. Default [0.3, 0.1] (libfmp's `tol_onset`). */
  readonly onsetTolerance?: readonly [number, number];
  /** Value of the (constant) onset templates in W0. Default 0.1 (libfmp). */
  readonly onsetLevel?: number;
  /** Hz of A4 (MIDI 69). Default 440. */
  readonly tuning?: number;
}

/** What one component (column of W, row of H) of a score-informed model stands for. */
export interface ScoreComponent {
  /** Column of W / row of H. */
  readonly index: number;
  /** MIDI pitch. */
  readonly pitch: number;
  readonly kind: 'pitch' | 'onset';
  /** e.g. 'C4' or 'C4 onset'. */
  readonly label: string;
}

/** Initial factors for a score-informed fit: pass `W` and `H` to `nmf` as `options.W` and `options.H`. */
export interface ScoreInit {
  /** K×R templates. */
  readonly W: Matrix;
  /** R×N activation masks. */
  readonly H: Matrix;
  readonly components: readonly ScoreComponent[];
  /** The pitch components' pitches, in order. */
  readonly pitches: readonly number[];
}

/** The axes of the spectrogram to be factorized: a {@link Spectrogram} has them. */
export interface SpectrogramAxes {
  /** Hz of each of the K rows, increasing. */
  readonly frequencies: SignalData;
  /** Seconds of each of the N columns, increasing. */
  readonly times: SignalData;
}

function checkPair(name: string, value: unknown, fallback: readonly [number, number]): readonly [number, number] {
  if (value === undefined) return fallback;
  const expectation = 'a [before, after] pair of seconds';
  const pair = readList(name, value, expectation, 2, (length) => `${name} must be ${expectation}, got an array of length ${length}`);
  if (pair.length !== 2) throw rangeError('NMFKIT_INVALID_VALUE', `${name} must be ${expectation}, got an array of length ${pair.length}`);
  return [checkNonNegative(`${name}[0]`, pair[0]), checkNonNegative(`${name}[1]`, pair[1])];
}

/**
 * Most harmonics one template may span. A spectrogram's axis reaches a few thousand harmonics of the lowest MIDI
 * pitch; the bound keeps a forged axis or tuning (1e300 Hz, 1e-300 Hz) from asking for a practically endless loop.
 */
const MAX_HARMONICS = 2 ** 20;

function checkHarmonicCount(top: number, f0: number, tolerance: number, what: () => string): void {
  const count = top / ((1 - tolerance) * f0);
  if (count > MAX_HARMONICS)
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${what()} span ${describe(Math.floor(count))} harmonics, more than the 2^20 a template may have`,
    );
}

/**
 * Builds the score-informed W0 (K×R) and H0 (R×N) for a spectrogram with the given axes and a note list. Does
 * not modify its arguments.
 * @throws TypeError/RangeError naming the argument for bad notes, axes or options, and for a note whose pitch is
 *   not among `options.pitches`.
 */
export function scoreInformedInit(notes: readonly NoteEvent[], axes: SpectrogramAxes, options?: ScoreInitOptions): ScoreInit {
  const list = checkNotes('notes', notes);
  if (axes === null || typeof axes !== 'object')
    throw typeError('NMFKIT_INVALID_TYPE', `axes must be { frequencies, times }, got ${describe(axes)}`);
  // Only the two axes are read: a whole Spectrogram (with V, kind, …) is a valid `axes`.
  const axisFrequencies = readProperty('axes.frequencies', axes, 'frequencies');
  const axisTimes = readProperty('axes.times', axes, 'times');
  const frequencies = toAxis('axes.frequencies', axisFrequencies);
  const times = toAxis('axes.times', axisTimes);
  const o = checkOptions('options', options, [
    'pitches',
    'pitchTolerance',
    'noteTolerance',
    'onsets',
    'onsetTolerance',
    'onsetLevel',
    'tuning',
  ]);
  const tol = o.pitchTolerance === undefined ? 0.05 : checkInRange('options.pitchTolerance', o.pitchTolerance, 0, 0.5);
  const [noteBefore, noteAfter] = checkPair('options.noteTolerance', o.noteTolerance, [0.2, 0.5]);
  const onsets = o.onsets === undefined ? false : checkBoolean('options.onsets', o.onsets);
  const [onsetBefore, onsetAfter] = checkPair('options.onsetTolerance', o.onsetTolerance, [0.3, 0.1]);
  const onsetLevel = o.onsetLevel === undefined ? 0.1 : checkPositive('options.onsetLevel', o.onsetLevel);
  const tuning = checkTuning('options.tuning', o.tuning);

  let pitches: number[];
  if (o.pitches === undefined) {
    pitches = uniquePitches(list);
    if (pitches.length === 0) throw rangeError('NMFKIT_INVALID_VALUE', 'notes is empty: give notes or options.pitches');
  } else {
    pitches = checkPitchList('options.pitches', o.pitches);
    if (pitches.length === 0)
      throw rangeError('NMFKIT_INVALID_VALUE', 'options.pitches must be a non-empty array of MIDI pitches, got an array of length 0');
    const given = new Set(pitches);
    list.forEach((note, i) => {
      if (!given.has(note.pitch))
        throw rangeError('NMFKIT_INVALID_VALUE', `notes[${i}].pitch = ${note.pitch} is not among options.pitches (${pitches.join(', ')})`);
    });
  }
  const top = frequencies[frequencies.length - 1]!;
  const lowest = midiToHz(Math.min(...pitches), tuning);
  checkHarmonicCount(
    top,
    lowest,
    tol,
    () => `axes.frequencies up to ${top} Hz and the lowest pitch's ${lowest} Hz (options.tuning = ${tuning})`,
  );

  const K = frequencies.length;
  const N = times.length;
  const perPitch = onsets ? 2 : 1;
  const R = pitches.length * perPitch;
  const W = new Float64Array(K * R);
  const H = new Float64Array(R * N);
  const components: ScoreComponent[] = [];

  pitches.forEach((pitch, r) => {
    const pitchColumn = r * perPitch + (onsets ? 1 : 0);
    if (onsets) {
      const onsetColumn = r * perPitch;
      for (let k = 0; k < K; k++) W[k * R + onsetColumn] = onsetLevel;
      components.push({ index: onsetColumn, pitch, kind: 'onset', label: `${pitchName(pitch)} onset` });
    }
    components.push({ index: pitchColumn, pitch, kind: 'pitch', label: pitchName(pitch) });
    harmonicBands(frequencies, midiToHz(pitch, tuning), tol, (k, value) => {
      W[k * R + pitchColumn] = value;
    });
  });

  for (const note of list) {
    const r = pitches.indexOf(note.pitch);
    const pitchRow = r * perPitch + (onsets ? 1 : 0);
    openFrames(H, pitchRow * N, times, note.onset - noteBefore, note.offset + noteAfter);
    if (onsets) openFrames(H, r * perPitch * N, times, note.onset - onsetBefore, note.onset + onsetAfter);
  }

  return { W: { rows: K, cols: R, data: W }, H: { rows: R, cols: N, data: H }, components, pitches };
}

/**
 * Calls `set(k, 1/m)` for the bins of every harmonic band of f0 (see the module comment), m ascending:
 * `frequencies` is an increasing axis in Hz, `tolerance` the relative half-width τ in [0, 0.5] of each band. What
 * `set` throws ends the call as it is.
 */
export function harmonicTemplate(frequencies: SignalData, f0: number, tolerance: number, set: (bin: number, value: number) => void): void {
  const axis = toAxis('frequencies', frequencies);
  checkPositive('f0', f0);
  checkInRange('tolerance', tolerance, 0, 0.5);
  const callback = checkFunction<(bin: number, value: number) => void>('set', set);
  const top = axis[axis.length - 1]!;
  checkHarmonicCount(top, f0, tolerance, () => `frequencies up to ${top} Hz and f0 = ${f0} Hz`);
  harmonicBands(axis, f0, tolerance, callback);
}

/** {@link harmonicTemplate} of checked arguments. */
function harmonicBands(frequencies: Float64Array, f0: number, tolerance: number, set: (bin: number, value: number) => void): void {
  const K = frequencies.length;
  const top = frequencies[K - 1]!;
  for (let m = 1; (1 - tolerance) * m * f0 <= top; m++) {
    const low = (1 - tolerance) * m * f0;
    const high = (1 + tolerance) * m * f0;
    // First bin: the last one at or below `low` (libfmp's floor), or the axis start.
    let k = lastAtOrBelow(frequencies, low);
    if (k < 0) k = 0;
    for (; k < K && frequencies[k]! <= high; k++) set(k, 1 / m);
  }
}

/** Index of the last entry ≤ x in an increasing array, −1 if there is none. */
function lastAtOrBelow(axis: Float64Array, x: number): number {
  let lo = 0;
  let hi = axis.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (axis[mid]! <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function openFrames(H: Float64Array, rowStart: number, times: Float64Array, from: number, to: number): void {
  for (let n = 0; n < times.length; n++) if (times[n]! >= from && times[n]! <= to) H[rowStart + n] = 1;
}
