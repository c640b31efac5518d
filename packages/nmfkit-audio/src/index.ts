/**
 * nmfkit-audio — NMF for music on top of nmfkit: STFT and its inverse, spectrograms, WAV bytes, note lists,
 * libfmp's score-informed initialisation, soft-mask separation, template pitches and frame-level evaluation.
 * Pure computation over arrays and bytes, so it runs wherever nmfkit does, browsers included; the functions that
 * read and write files are 'nmfkit-audio/node', the PNG figures 'nmfkit-audio/figures', the command `nmfkit`.
 * Errors are nmfkit's (nmfkit/validation): a TypeError or RangeError naming the argument, index and value.
 */
// nmfkit's entry sets the memory limit the size checks of nmfkit/validation use (the machine's, or the wasm cap).
import 'nmfkit';

export { decodeWav, encodeWav } from './audio/wav.js';
export type { DecodedWav, DecodeWavOptions, EncodeWavOptions, WavBitDepth } from './audio/wav.js';
export type { AudioSignal, SignalData } from './audio/signal.js';
export { windowFunction, type WindowName } from './audio/window.js';
export { istft, stft, type IstftOptions, type Stft, type StftOptions } from './audio/stft.js';
export { spectrogram, type Spectrogram, type SpectrogramOptions } from './audio/spectrogram.js';
export { checkNotes, distinctPitches, hzToMidi, midiToHz, pianoRoll, pitchName, type NoteEvent } from './audio/notes.js';
export { decodeMidi, type DecodeMidiOptions } from './audio/midi.js';
export { harmonicTemplate, scoreInformedInit } from './audio/score.js';
export type { ScoreComponent, ScoreInit, ScoreInitOptions, SpectrogramAxes } from './audio/score.js';
export { separate, softMasks } from './audio/separate.js';
export { drumTemplates, type DrumTemplateOptions } from './audio/drums.js';
export { drumActivations, pitchedActivations, pitchedTemplates, type PitchedTemplateOptions } from './audio/nmfd-init.js';
export type { SeparatedSource, Separation, SeparateOptions, SeparationOptions } from './audio/separate.js';
export { estimateTemplatePitches, MIN_PITCH_SALIENCE, type PitchEstimateOptions, type TemplatePitch } from './audio/pitch.js';
export { bssEvalSources, siSdr, MAX_BSS_SOURCES, MAX_BSS_UNKNOWNS, type BssEvalOptions, type BssEvalSources } from './audio/bss-eval.js';
export {
  activationNotes,
  evaluateActivations,
  evaluateNotes,
  type ActivationEvaluation,
  type ActivationEvaluationOptions,
  type ActivationNotesOptions,
  type NoteEvaluation,
  type NoteEvaluationOptions,
} from './audio/evaluate.js';
