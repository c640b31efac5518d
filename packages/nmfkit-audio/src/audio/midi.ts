/**
 * Note lists from Standard MIDI Files (.mid), parsed by the `@tonejs/midi` package: every note's MIDI pitch,
 * onset and offset in seconds (through the file's tempo map) and velocity, ready for `scoreInformedInit`.
 *
 * The parser reads what it can of a damaged file and returns the notes it reached, so the file's chunk structure
 * is checked first, here: the header chunk `MThd` (format 0, 1 or 2, at least one track, a metrical time division),
 * then exactly the declared number of `MTrk` chunks, each inside the file and ending with its End of Track event.
 * Bytes that fail any check, or that the parser refuses, are a RangeError saying what is wrong and where.
 */
import midiPackage from '@tonejs/midi';
import { checkBoolean, rangeError } from 'nmfkit/validation';
import { checkNotes, type NoteEvent } from './notes.js';
import { checkOptions } from './signal.js';
import { copyBytes } from './wav.js';

const { Midi } = midiPackage;

/** Options of {@link decodeMidi} and `readMidi`. */
export interface DecodeMidiOptions {
  /** Keep the notes of MIDI channel 10 (General MIDI percussion, which has no pitch). Default false. */
  readonly drums?: boolean;
}

/** The options of decodeMidi/readMidi, read once, before any file is read. */
export function midiOptions(options: unknown): { drums: boolean } {
  const o = checkOptions('options', options, ['drums']);
  return { drums: o.drums === undefined ? false : checkBoolean('options.drums', o.drums) };
}

/**
 * The notes of a Standard MIDI File, sorted by onset, then pitch (see the module comment). Notes of zero duration
 * are left out; velocities are MIDI's 1–127. Does not modify `bytes`.
 * @throws TypeError for a wrong argument type, RangeError for bytes that are not a readable MIDI file.
 */
export function decodeMidi(bytes: Uint8Array | ArrayBuffer, options?: DecodeMidiOptions): NoteEvent[] {
  return decodeMidiCopy(copyBytes('bytes', bytes), midiOptions(options));
}

/**
 * {@link decodeMidi} of bytes of the package's own (a copy, or a file's contents) and checked options; `subject`
 * begins the message of a refusal ('bytes are', or a file's path and 'is').
 */
export function decodeMidiCopy(bytes: Uint8Array, o: { drums: boolean }, subject = 'bytes are'): NoteEvent[] {
  const refuse = `${subject} not a readable MIDI file`;
  checkStructure(bytes, refuse);
  let midi: InstanceType<typeof Midi>;
  try {
    midi = new Midi(bytes);
  } catch (cause) {
    // The parser throws strings as well as errors.
    throw rangeError('NMFKIT_INVALID_VALUE', `${refuse}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const notes: NoteEvent[] = [];
  for (const track of midi.tracks) {
    if (track.channel === 9 && !o.drums) continue;
    for (const note of track.notes) {
      const onset = note.time;
      const offset = note.time + note.duration;
      if (!(offset > onset)) continue;
      notes.push({ pitch: note.midi, onset, offset, velocity: Math.round(note.velocity * 127) });
    }
  }
  notes.sort((a, b) => a.onset - b.onset || a.pitch - b.pitch);
  // The note list's own checks (pitch in [0, 127], finite times): a file's values are not trusted either.
  return checkNotes(`the notes of ${subject === 'bytes are' ? 'bytes' : subject.replace(/ is$/, '')}`, notes);
}

/** Reads a big-endian unsigned integer of `size` bytes. */
function uint(bytes: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + bytes[at + i]!;
  return v;
}

function tag(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(...bytes.subarray(at, at + 4));
}

/** The chunk structure of a Standard MIDI File (see the module comment). */
function checkStructure(bytes: Uint8Array, refuse: string): void {
  const fail = (what: string): never => {
    throw rangeError('NMFKIT_INVALID_VALUE', `${refuse}: ${what}`);
  };
  if (bytes.length < 14 || tag(bytes, 0) !== 'MThd')
    fail(`a MIDI file starts with the 14-byte header chunk 'MThd' (${bytes.length} bytes given)`);
  const headerLength = uint(bytes, 4, 4);
  if (headerLength < 6 || 8 + headerLength > bytes.length) fail(`the header chunk claims ${headerLength} bytes`);
  const format = uint(bytes, 8, 2);
  const tracks = uint(bytes, 10, 2);
  const division = uint(bytes, 12, 2);
  if (format > 2) fail(`format ${format} (Standard MIDI Files are format 0, 1 or 2)`);
  if (tracks === 0) fail('the header declares no tracks');
  if (division & 0x8000) fail('SMPTE time division (frames per second) is not supported, only ticks per quarter note');
  if (division === 0) fail('the header gives 0 ticks per quarter note');
  let at = 8 + headerLength;
  let found = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) fail(`${bytes.length - at} stray bytes at offset ${at} after the last chunk`);
    const type = tag(bytes, at);
    const length = uint(bytes, at + 4, 4);
    if (at + 8 + length > bytes.length) {
      fail(`chunk ${JSON.stringify(type)} at offset ${at} claims ${length} bytes, but ${bytes.length - at - 8} remain (a truncated file)`);
    }
    if (type === 'MTrk') {
      found++;
      const end = at + 8 + length;
      if (length < 3 || bytes[end - 3] !== 0xff || bytes[end - 2] !== 0x2f || bytes[end - 1] !== 0x00) {
        fail(`track ${found} (offset ${at}) does not end with an End of Track event (a truncated or damaged track)`);
      }
    }
    at += 8 + length;
  }
  if (found !== tracks) fail(`the header declares ${tracks} track${tracks === 1 ? '' : 's'}, the file holds ${found}`);
}
