/**
 * Note lists (a score aligned to the audio) and pitch arithmetic: MIDI pitch ↔ Hz, pitch names, and the
 * frame-level piano roll of a note list.
 */
import { checkString, describe, rangeError, readList, readProperty, typeError } from 'nmfkit/validation';
import { checkFinite, checkPositive, toSignal } from './signal.js';

/** One note: MIDI pitch (60 = C4, 69 = A4), onset and offset in seconds. */
export interface NoteEvent {
  readonly pitch: number;
  readonly onset: number;
  readonly offset: number;
  /** MIDI velocity, carried along but not used by nmfkit. */
  readonly velocity?: number;
}

/** Frequency in Hz of a (possibly fractional) MIDI pitch; A4 = 69 sounds at `tuning` Hz (default 440). */
export function midiToHz(pitch: number, tuning = 440): number {
  checkFinite('pitch', pitch);
  checkPositive('tuning', tuning);
  return tuning * 2 ** ((pitch - 69) / 12);
}

/** Fractional MIDI pitch of a frequency in Hz; A4 = 69 sounds at `tuning` Hz (default 440). */
export function hzToMidi(frequency: number, tuning = 440): number {
  checkPositive('frequency', frequency);
  checkPositive('tuning', tuning);
  return 69 + 12 * Math.log2(frequency / tuning);
}

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];

/** Scientific pitch name of a MIDI pitch, rounded to the nearest semitone: 60 → 'C4', 61 → 'C♯4'. */
export function pitchName(pitch: number): string {
  const p = Math.round(checkFinite('pitch', pitch));
  return `${NAMES[((p % 12) + 12) % 12]}${Math.floor(p / 12) - 1}`;
}

/** Most notes one list may hold: far beyond any score, and a bound on the work a forged length can ask for. */
const MAX_NOTES = 2 ** 24;

/**
 * Checks a note list and returns fresh copies of its notes: every note must have an integer MIDI pitch in
 * [0, 127] and 0 ≤ onset < offset (finite seconds). `name` is what messages call the list. Each note's fields are
 * read once; other fields of a note are ignored.
 */
export function checkNotes(name: string, notes: unknown): NoteEvent[] {
  checkString('name', name);
  const list = readList(name, notes, 'an array of { pitch, onset, offset } notes', MAX_NOTES);
  return list.map((note, i): NoteEvent => {
    const where = `${name}[${i}]`;
    if (note === null || typeof note !== 'object')
      throw typeError('NMFKIT_INVALID_TYPE', `${where} must be a { pitch, onset, offset } object, got ${describe(note)}`);
    const pitch = readProperty(`${where}.pitch`, note, 'pitch');
    const onset = readProperty(`${where}.onset`, note, 'onset');
    const offset = readProperty(`${where}.offset`, note, 'offset');
    const velocity = readProperty(`${where}.velocity`, note, 'velocity');
    for (const [field, value] of [
      ['pitch', pitch],
      ['onset', onset],
      ['offset', offset],
    ] as const) {
      if (typeof value !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${where}.${field} must be a number, got ${describe(value)}`);
      if (!Number.isFinite(value)) throw rangeError('NMFKIT_INVALID_VALUE', `${where}.${field} must be finite, got ${describe(value)}`);
    }
    const p = pitch as number;
    const on = onset as number;
    const off = offset as number;
    if (!Number.isInteger(p) || p < 0 || p > 127)
      throw rangeError('NMFKIT_INVALID_VALUE', `${where}.pitch must be a MIDI pitch, an integer in [0, 127], got ${describe(p)}`);
    if (on < 0) throw rangeError('NMFKIT_INVALID_VALUE', `${where}.onset must be ≥ 0 seconds, got ${describe(on)}`);
    if (!(off > on)) throw rangeError('NMFKIT_INVALID_VALUE', `${where}.offset must be after its onset (${on} s), got ${describe(off)}`);
    if (velocity === undefined) return { pitch: p, onset: on, offset: off };
    return { pitch: p, onset: on, offset: off, velocity: checkFinite(`${where}.velocity`, velocity) };
  });
}

/**
 * A list of distinct MIDI pitches (integers in [0, 127]) as a fresh array; a repeat is an error, as it would
 * give one pitch two rows or components.
 */
export function checkPitchList(name: string, value: unknown): number[] {
  const list = readList(
    name,
    value,
    'an array of MIDI pitches',
    128,
    (length) => `${name} has ${length} entries, more than the 128 MIDI pitches`,
  );
  const seen = new Set<number>();
  return list.map((p, i) => {
    if (typeof p !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `${name}[${i}] must be a MIDI pitch, got ${describe(p)}`);
    if (!Number.isInteger(p) || p < 0 || p > 127)
      throw rangeError('NMFKIT_INVALID_VALUE', `${name}[${i}] must be a MIDI pitch, an integer in [0, 127], got ${describe(p)}`);
    if (seen.has(p)) throw rangeError('NMFKIT_INVALID_VALUE', `${name}[${i}] = ${p} repeats an earlier pitch`);
    seen.add(p);
    return p;
  });
}

/** The distinct pitches of a note list, ascending. */
export function distinctPitches(notes: readonly NoteEvent[]): number[] {
  return uniquePitches(checkNotes('notes', notes));
}

/** {@link distinctPitches} of a checked list. */
export function uniquePitches(notes: readonly NoteEvent[]): number[] {
  return [...new Set(notes.map((n) => n.pitch))].sort((a, b) => a - b);
}

/**
 * The frame-level ground truth of a note list: a `pitches.length × times.length` 0/1 matrix (row-major) whose
 * entry (r, n) is 1 iff a note of pitch `pitches[r]` sounds at time `times[n]`, i.e. onset ≤ t < offset.
 * `pitches` are distinct MIDI pitches, `times` finite seconds.
 */
export function pianoRoll(
  notes: readonly NoteEvent[],
  pitches: readonly number[],
  times: Float64Array | Float32Array | readonly number[],
): Uint8Array {
  const list = checkNotes('notes', notes);
  const rows = checkPitchList('pitches', pitches);
  return rollOf(list, rows, toSignal('times', times, 0));
}

/** {@link pianoRoll} of checked arguments. */
export function rollOf(notes: readonly NoteEvent[], pitches: readonly number[], times: Float64Array): Uint8Array {
  const N = times.length;
  const roll = new Uint8Array(pitches.length * N);
  for (const note of notes) {
    const r = pitches.indexOf(note.pitch);
    if (r < 0) continue;
    for (let n = 0; n < N; n++) if (times[n]! >= note.onset && times[n]! < note.offset) roll[r * N + n] = 1;
  }
  return roll;
}

/** Checks a tuning frequency (Hz of A4). */
export function checkTuning(name: string, value: unknown): number {
  return value === undefined ? 440 : checkPositive(name, value);
}
