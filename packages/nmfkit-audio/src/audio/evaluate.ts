/**
 * Frame-level evaluation of NMF activations against a note list, as in multi-pitch estimation (mir_eval's
 * frame-level precision, recall and F-measure).
 *
 * The threshold rule: the activation of a pitch is the sum of the H rows of the components assigned to it; the
 * pitch counts as active in frame n iff that activation is at least `threshold` (default 0.2) times the largest
 * activation of the same pitch over the whole piece. A pitch is sounding in frame n according to the notes iff
 * some note of that pitch has onset ≤ t_n < offset. Every (pitch, frame) pair is then a true positive, false
 * positive or false negative; P = TP / (TP + FP), R = TP / (TP + FN), F = 2PR / (P + R).
 */
import type { Matrix, MatrixInput } from 'nmfkit';
import { checkNonNegative, describe, rangeError, readList, toMatrix, typeError } from 'nmfkit/validation';
import { checkNotes, rollOf, uniquePitches, type NoteEvent } from './notes.js';
import { checkInRange, checkOptions, toAxis, type SignalData } from './signal.js';

/** Options of {@link evaluateActivations}. */
export interface ActivationEvaluationOptions {
  /** Relative threshold θ in [0, 1]: active iff activation ≥ θ · (that pitch's maximum). Default 0.2. */
  readonly threshold?: number;
}

/** Frame-level scores and the two piano rolls they compare. */
export interface ActivationEvaluation {
  readonly precision: number;
  readonly recall: number;
  readonly fMeasure: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly falseNegatives: number;
  readonly threshold: number;
  /** Rows of the piano rolls: every pitch of the notes and of the components, ascending. */
  readonly pitches: readonly number[];
  /** pitches × frames, 1 where the thresholded activations say the pitch sounds. */
  readonly estimated: Uint8Array;
  /** pitches × frames, 1 where the notes say the pitch sounds. */
  readonly reference: Uint8Array;
}

/**
 * Scores activations H (R×N) against a note list at frame level (see the module comment for the rule).
 * `componentPitches[r]` is the MIDI pitch of row r, or null for a row to leave out (an onset component, a
 * template whose pitch is unknown). `times` are the frame times in seconds (N of them). Does not modify its
 * arguments.
 */
export function evaluateActivations(
  H: MatrixInput,
  componentPitches: readonly (number | null)[],
  notes: readonly NoteEvent[],
  times: SignalData,
  options?: ActivationEvaluationOptions,
): ActivationEvaluation {
  const h = toMatrix('H', H);
  const expectation = 'an array (one MIDI pitch or null per row of H)';
  const tooMany = (length: number): string => `componentPitches must have one entry per row of H (${h.rows}), got ${length}`;
  const given = readList('componentPitches', componentPitches, expectation, h.rows, tooMany);
  if (given.length !== h.rows) throw rangeError('NMFKIT_INVALID_VALUE', tooMany(given.length));
  const rowPitches = given.map((p, i): number | null => {
    if (p === null) return null;
    if (typeof p !== 'number')
      throw typeError('NMFKIT_INVALID_TYPE', `componentPitches[${i}] must be a MIDI pitch or null, got ${describe(p)}`);
    if (!Number.isInteger(p) || p < 0 || p > 127) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `componentPitches[${i}] must be a MIDI pitch (integer in [0, 127]) or null, got ${describe(p)}`,
      );
    }
    return p;
  });
  const list = checkNotes('notes', notes);
  const t = toAxis('times', times, h.cols);
  const o = checkOptions('options', options, ['threshold']);
  const threshold = o.threshold === undefined ? 0.2 : checkInRange('options.threshold', o.threshold, 0, 1);

  const pitches = [...new Set([...uniquePitches(list), ...rowPitches.filter((p): p is number => p !== null)])].sort((a, b) => a - b);
  const N = h.cols;
  const reference = rollOf(list, pitches, t);
  const activation = pitchActivations(h, rowPitches, pitches);
  const estimated = new Uint8Array(pitches.length * N);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let r = 0; r < pitches.length; r++) {
    let max = 0;
    for (let n = 0; n < N; n++) max = Math.max(max, activation[r * N + n]!);
    for (let n = 0; n < N; n++) {
      const on = max > 0 && activation[r * N + n]! >= threshold * max ? 1 : 0;
      estimated[r * N + n] = on;
      const truth = reference[r * N + n]!;
      if (on && truth) tp++;
      else if (on) fp++;
      else if (truth) fn++;
    }
  }
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
  const fMeasure = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return {
    precision,
    recall,
    fMeasure,
    truePositives: tp,
    falsePositives: fp,
    falseNegatives: fn,
    threshold,
    pitches,
    estimated,
    reference,
  };
}

/** Options of {@link activationNotes}. */
export interface ActivationNotesOptions {
  /** The frame-level threshold θ of {@link evaluateActivations}. Default 0.2. */
  readonly threshold?: number;
  /** Shortest note kept, in seconds: shorter runs of active frames are left out. Default 0 (every run). */
  readonly minDuration?: number;
}

/**
 * Notes from activations: every maximal run of frames where a pitch is active by the threshold rule of
 * {@link evaluateActivations} is one note, from the time of its first frame to the time of the frame after its last
 * (the last frame's time plus one frame step at the end), sorted by onset, then pitch. Does not modify its
 * arguments.
 */
export function activationNotes(
  H: MatrixInput,
  componentPitches: readonly (number | null)[],
  times: SignalData,
  options?: ActivationNotesOptions,
): NoteEvent[] {
  const t = toAxis('times', times);
  const o = checkOptions('options', options, ['threshold', 'minDuration']);
  const threshold = o.threshold === undefined ? 0.2 : checkInRange('options.threshold', o.threshold, 0, 1);
  const minDuration = o.minDuration === undefined ? 0 : checkNonNegative('options.minDuration', o.minDuration);
  // The frames active by evaluateActivations' rule; with no notes its rows are the components' pitches.
  const { pitches, estimated: roll } = evaluateActivations(H, componentPitches, [], t, { threshold });
  const N = t.length;
  const step = N > 1 ? t[N - 1]! - t[N - 2]! : 1;
  const notes: NoteEvent[] = [];
  pitches.forEach((pitch, r) => {
    for (let n = 0; n < N; n++) {
      if (!roll[r * N + n]) continue;
      let end = n;
      while (end + 1 < N && roll[r * N + end + 1]) end++;
      const onset = t[n]!;
      const offset = end + 1 < N ? t[end + 1]! : t[end]! + step;
      if (offset - onset >= minDuration && onset >= 0) notes.push({ pitch, onset, offset });
      n = end;
    }
  });
  return notes.sort((a, b) => a.onset - b.onset || a.pitch - b.pitch);
}

/** Options of {@link evaluateNotes}. */
export interface NoteEvaluationOptions {
  /** Largest onset difference of a match, in seconds. Default 0.05 (mir_eval.transcription's). */
  readonly onsetTolerance?: number;
}

/** Note-level scores: onsets matched within the tolerance, one to one, pitch for pitch. */
export interface NoteEvaluation {
  readonly precision: number;
  readonly recall: number;
  readonly fMeasure: number;
  /** Matched pairs (true positives). */
  readonly matched: number;
  readonly estimated: number;
  readonly reference: number;
  readonly onsetTolerance: number;
}

/**
 * Note-level precision, recall and F-measure with onsets only (offsets ignored, as mir_eval.transcription's
 * `offset_ratio=None`): an estimated note matches a reference note of the same MIDI pitch whose onset is within
 * `onsetTolerance` seconds (plus 1 ns, so that 1.05 − 1 counts as 0.05: mir_eval rounds the distances to 0.1 ms for
 * the same reason), each note at most once. Per pitch the onsets are matched in time order, which gives the
 * largest matching for windows of equal width. Does not modify its arguments.
 */
export function evaluateNotes(
  estimated: readonly NoteEvent[],
  reference: readonly NoteEvent[],
  options?: NoteEvaluationOptions,
): NoteEvaluation {
  const est = checkNotes('estimated', estimated);
  const ref = checkNotes('reference', reference);
  const o = checkOptions('options', options, ['onsetTolerance']);
  const onsetTolerance = o.onsetTolerance === undefined ? 0.05 : checkNonNegative('options.onsetTolerance', o.onsetTolerance);
  const onsets = (list: readonly NoteEvent[]): Map<number, number[]> => {
    const byPitch = new Map<number, number[]>();
    for (const note of list) byPitch.set(note.pitch, [...(byPitch.get(note.pitch) ?? []), note.onset]);
    for (const times of byPitch.values()) times.sort((a, b) => a - b);
    return byPitch;
  };
  const estOnsets = onsets(est);
  let matched = 0;
  for (const [pitch, refTimes] of onsets(ref)) {
    const estTimes = estOnsets.get(pitch) ?? [];
    let i = 0;
    let j = 0;
    while (i < refTimes.length && j < estTimes.length) {
      const d = estTimes[j]! - refTimes[i]!;
      if (Math.abs(d) <= onsetTolerance + 1e-9) {
        matched++;
        i++;
        j++;
      } else if (d < 0) j++;
      else i++;
    }
  }
  const precision = est.length === 0 ? 0 : matched / est.length;
  const recall = ref.length === 0 ? 0 : matched / ref.length;
  const fMeasure = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, fMeasure, matched, estimated: est.length, reference: ref.length, onsetTolerance };
}

/** Sums the rows of H per pitch: a pitches × N row-major array. */
function pitchActivations(h: Matrix, componentPitches: readonly (number | null)[], pitches: readonly number[]): Float64Array {
  const N = h.cols;
  const out = new Float64Array(pitches.length * N);
  componentPitches.forEach((p, row) => {
    if (p === null) return;
    const r = pitches.indexOf(p);
    for (let n = 0; n < N; n++) out[r * N + n] = out[r * N + n]! + h.data[row * N + n]!;
  });
  return out;
}
