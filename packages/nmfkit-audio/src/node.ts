/**
 * nmfkit-audio/node — the functions that read and write files, for Node: WAV files, note lists and MIDI files. Everything else
 * of nmfkit-audio (the entry 'nmfkit-audio') works on bytes and arrays and runs in browsers too.
 */
import { readFile, writeFile } from 'node:fs/promises';
// nmfkit's entry sets the memory limit the size checks of nmfkit/validation use (the machine's, or the wasm cap).
import 'nmfkit';
import { checkString, describe, rangeError, typeError } from 'nmfkit/validation';
import { decodeMidiCopy, midiOptions, type DecodeMidiOptions } from './audio/midi.js';
import { checkNotes, type NoteEvent } from './audio/notes.js';
import { decodeCopy, decodeOptions, encodeWav, type DecodedWav, type DecodeWavOptions, type EncodeWavOptions } from './audio/wav.js';

/**
 * Reads and decodes a WAV file (see {@link decodeWav}). Its arguments are checked before the file is read; a
 * missing or unreadable file rejects with the file system's error.
 */
export async function readWav(path: string, options?: DecodeWavOptions): Promise<DecodedWav> {
  checkString('path', path);
  const o = decodeOptions(options);
  const bytes = await readFile(path);
  return decodeCopy(bytes, o, path);
}

/** Encodes a mono signal (see {@link encodeWav}) and writes it to `path`; nothing is written for invalid arguments. */
export async function writeWav(
  path: string,
  samples: Float64Array | Float32Array | readonly number[],
  sampleRate: number,
  options?: EncodeWavOptions,
): Promise<void> {
  checkString('path', path);
  await writeFile(path, encodeWav(samples, sampleRate, options));
}

/**
 * Reads a note list from a JSON file holding either an array of notes or an object with a `notes` array (the
 * format of `examples/data/piano-scale.notes.json`).
 */
export async function readNotes(path: string): Promise<NoteEvent[]> {
  if (typeof path !== 'string') throw typeError('NMFKIT_INVALID_TYPE', `path must be a string, got ${describe(path)}`);
  const text = await readFile(path, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${path} is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  const list = Array.isArray(json) ? json : (json as { notes?: unknown } | null)?.notes;
  return checkNotes(`${path}: notes`, list);
}

/**
 * Reads the notes of a Standard MIDI File (see decodeMidi of nmfkit-audio). Its arguments are checked before the file is
 * read; bytes that are not a readable MIDI file are a RangeError naming the file.
 */
export async function readMidi(path: string, options?: DecodeMidiOptions): Promise<NoteEvent[]> {
  checkString('path', path);
  const o = midiOptions(options);
  const bytes = await readFile(path);
  return decodeMidiCopy(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), o, `${path} is`);
}
