/**
 * The demo's scores against ground truth, side by side for several methods: separation (BSS-Eval v3 and SI-SDR
 * against rendered stems) and transcription (frame- and note-level, against the note list).
 */
import type { MatrixInput } from 'nmfkit';
import { bssEvalSources, siSdr } from '../audio/bss-eval.js';
import { activationNotes, evaluateActivations, evaluateNotes, type NoteEvaluation } from '../audio/evaluate.js';
import type { NoteEvent } from '../audio/notes.js';
import { separate } from '../audio/separate.js';
import { inverse, stft, type Stft } from '../audio/stft.js';

/** One source's scores in dB. */
export interface SourceScores {
  readonly sdr: number;
  readonly sir: number;
  readonly sar: number;
  readonly siSdr: number;
}

/** A separation method's scores for the target and for the rest. */
export interface SeparationResult {
  readonly method: string;
  /** Which components, or why there is no estimate (then the scores are null). */
  readonly detail: string;
  readonly target: SourceScores | null;
  readonly rest: SourceScores | null;
}

/** A transcription method's frame- and note-level scores. */
export interface TranscriptionResult {
  readonly method: string;
  readonly detail: string;
  readonly frame: { readonly precision: number; readonly recall: number; readonly fMeasure: number };
  readonly note: Omit<NoteEvaluation, 'onsetTolerance'>;
}

/**
 * BSS-Eval v3 of [target, rest] estimates against [target, rest] references, each estimate paired with its own
 * reference (no permutation: the method says which is which), and SI-SDR of each.
 */
export function scoreSeparation(
  references: readonly [Float64Array, Float64Array],
  estimates: readonly [Float64Array, Float64Array],
): { target: SourceScores; rest: SourceScores } {
  const bss = bssEvalSources([...references], [...estimates], { permutation: false });
  const source = (j: 0 | 1): SourceScores => ({
    sdr: bss.sdr[j]!,
    sir: bss.sir[j]!,
    sar: bss.sar[j]!,
    siSdr: siSdr(references[j], estimates[j]),
  });
  return { target: source(0), rest: source(1) };
}

/** Target and rest of NMF soft masks from the components `group` (the rest: every other component and the unexplained). */
export function nmfSeparation(spec: Stft, W: MatrixInput, H: MatrixInput, group: readonly number[]): [Float64Array, Float64Array] {
  const { sources, residual } = separate(spec, W, H, [group]);
  return [sources[0]!.signal, residual.signal];
}

/**
 * The ideal ratio mask, an upper bound of what soft masks of this STFT can do: the true sources' magnitudes
 * |S_target| / (|S_target| + |S_rest|) on the mixture's STFT (the masks of `separate` with α = 1, from the truth
 * instead of a model), the rest's mask its complement.
 */
export function idealRatioMask(spec: Stft, target: Float64Array, rest: Float64Array): [Float64Array, Float64Array] {
  const settings = { nFft: spec.nFft, hop: spec.hop, window: spec.window, center: spec.center };
  const t = stft(target, spec.sampleRate, settings);
  const r = stft(rest, spec.sampleRate, settings);
  const size = spec.re.length;
  const parts = [new Float64Array(size), new Float64Array(size), new Float64Array(size), new Float64Array(size)] as const;
  for (let i = 0; i < size; i++) {
    const a = Math.hypot(t.re[i]!, t.im[i]!);
    const b = Math.hypot(r.re[i]!, r.im[i]!);
    const m = a + b > 0 ? a / (a + b) : 0;
    parts[0][i] = m * spec.re[i]!;
    parts[1][i] = m * spec.im[i]!;
    parts[2][i] = (1 - m) * spec.re[i]!;
    parts[3][i] = (1 - m) * spec.im[i]!;
  }
  return [inverse(spec, parts[0], parts[1], spec.length), inverse(spec, parts[2], parts[3], spec.length)];
}

/** Frame-level (threshold rule of evaluateActivations) and note-level (onsets within 50 ms) scores of activations. */
export function scoreTranscription(
  method: string,
  detail: string,
  H: MatrixInput,
  componentPitches: readonly (number | null)[],
  notes: readonly NoteEvent[],
  times: Float64Array,
  threshold: number,
): TranscriptionResult {
  const frame = evaluateActivations(H, componentPitches, notes, times, { threshold });
  const note = evaluateNotes(activationNotes(H, componentPitches, times, { threshold }), notes);
  return {
    method,
    detail,
    frame: { precision: frame.precision, recall: frame.recall, fMeasure: frame.fMeasure },
    note: {
      precision: note.precision,
      recall: note.recall,
      fMeasure: note.fMeasure,
      matched: note.matched,
      estimated: note.estimated,
      reference: note.reference,
    },
  };
}
