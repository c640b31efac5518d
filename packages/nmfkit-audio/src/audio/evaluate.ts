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
import { describe, rangeError, readList, toMatrix, typeError } from 'nmfkit/validation';
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
