/**
 * Note lists (a score aligned to the audio) and pitch arithmetic: MIDI pitch ↔ Hz, pitch names, and the
 * frame-level piano roll of a note list.
 */
import { readFile } from 'node:fs/promises';
import { describe } from '../validate.js';
import { checkPositive } from './signal.js';

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
  return tuning * 2 ** ((pitch - 69) / 12);
}

/** Fractional MIDI pitch of a frequency in Hz; A4 = 69 sounds at `tuning` Hz (default 440). */
export function hzToMidi(frequency: number, tuning = 440): number {
  return 69 + 12 * Math.log2(frequency / tuning);
}

const NAMES = ['C', 'C♯', 'D', 'D♯', 'E', 'F', 'F♯', 'G', 'G♯', 'A', 'A♯', 'B'];

/** Scientific pitch name of a MIDI pitch, rounded to the nearest semitone: 60 → 'C4', 61 → 'C♯4'. */
export function pitchName(pitch: number): string {
  const p = Math.round(pitch);
  return `${NAMES[((p % 12) + 12) % 12]}${Math.floor(p / 12) - 1}`;
}

/**
 * Checks a note list and returns fresh copies of its notes: every note must have an integer MIDI pitch in
 * [0, 127] and 0 ≤ onset < offset (finite seconds).
 */
export function checkNotes(name: string, notes: unknown): NoteEvent[] {
  if (!Array.isArray(notes)) throw new TypeError(`${name} must be an array of { pitch, onset, offset } notes, got ${describe(notes)}`);
  return notes.map((note: unknown, i): NoteEvent => {
    const where = `${name}[${i}]`;
    if (note === null || typeof note !== 'object') throw new TypeError(`${where} must be a { pitch, onset, offset } object, got ${describe(note)}`);
    const { pitch, onset, offset, velocity } = note as Record<string, unknown>;
    for (const [field, value] of [['pitch', pitch], ['onset', onset], ['offset', offset]] as const) {
      if (typeof value !== 'number') throw new TypeError(`${where}.${field} must be a number, got ${describe(value)}`);
      if (!Number.isFinite(value)) throw new RangeError(`${where}.${field} must be finite, got ${describe(value)}`);
    }
    const p = pitch as number;
    const on = onset as number;
    const off = offset as number;
    if (!Number.isInteger(p) || p < 0 || p > 127) throw new RangeError(`${where}.pitch must be a MIDI pitch, an integer in [0, 127], got ${describe(p)}`);
    if (on < 0) throw new RangeError(`${where}.onset must be ≥ 0 seconds, got ${describe(on)}`);
    if (!(off > on)) throw new RangeError(`${where}.offset must be after its onset (${on} s), got ${describe(off)}`);
    if (velocity !== undefined && typeof velocity !== 'number') throw new TypeError(`${where}.velocity must be a number, got ${describe(velocity)}`);
    return velocity === undefined ? { pitch: p, onset: on, offset: off } : { pitch: p, onset: on, offset: off, velocity };
  });
}

/**
 * Reads a note list from a JSON file holding either an array of notes or an object with a `notes` array (the
 * format of `examples/data/piano-scale.notes.json`).
 */
export async function readNotes(path: string): Promise<NoteEvent[]> {
  if (typeof path !== 'string') throw new TypeError(`path must be a string, got ${describe(path)}`);
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RangeError(`${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const list = Array.isArray(json) ? json : (json as { notes?: unknown } | null)?.notes;
  return checkNotes(`${path}: notes`, list);
}

/** The distinct pitches of a note list, ascending. */
export function distinctPitches(notes: readonly NoteEvent[]): number[] {
  return [...new Set(notes.map((n) => n.pitch))].sort((a, b) => a - b);
}

/**
 * The frame-level ground truth of a note list: a `pitches.length × times.length` 0/1 matrix (row-major) whose
 * entry (r, n) is 1 iff a note of pitch `pitches[r]` sounds at time `times[n]`, i.e. onset ≤ t < offset.
 */
export function pianoRoll(notes: readonly NoteEvent[], pitches: readonly number[], times: ArrayLike<number>): Uint8Array {
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
