/**
 * Note lists from MIDI files (decodeMidi, readMidi through @tonejs/midi): the demo's MIDI file gives exactly the
 * note list shipped beside it; percussion is left out unless asked for; hostile bytes (empty, not MIDI, every
 * truncation of a real file, every single byte of it overwritten, forged headers) are a RangeError naming the
 * bytes or the file, never another error, a hang or a partial note list.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import midiPackage from '@tonejs/midi';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMidi } from '../src/index.js';
import { readMidi, readNotes } from '../src/node.js';

const { Midi } = midiPackage;
const DATA = new URL('../examples/data/', import.meta.url);
const MID = readFileSync(new URL('piano-scale.mid', DATA));
const scratch = mkdtempSync(join(tmpdir(), 'nmfkit-midi-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The outcome of decoding: the notes, or the error. */
function attempt(bytes: Uint8Array): unknown {
  try {
    return decodeMidi(bytes);
  } catch (error) {
    return error;
  }
}

describe('decodeMidi and readMidi', () => {
  it('the demo’s MIDI file gives the shipped note list (pitch, onset, offset to 1 µs, velocity)', async () => {
    const expected = await readNotes(fileURLToPath(new URL('piano-scale.notes.json', DATA)));
    for (const notes of [
      decodeMidi(MID),
      decodeMidi(MID.buffer.slice(MID.byteOffset, MID.byteOffset + MID.byteLength)),
      await readMidi(fileURLToPath(new URL('piano-scale.mid', DATA))),
    ]) {
      expect(notes).toHaveLength(expected.length);
      notes.forEach((note, i) => {
        expect(note.pitch).toBe(expected[i]!.pitch);
        expect(note.onset).toBeCloseTo(expected[i]!.onset, 6);
        expect(note.offset).toBeCloseTo(expected[i]!.offset, 6);
        expect(note.velocity).toBe(expected[i]!.velocity);
      });
    }
  });

  it('percussion (channel 10) only with drums: true; zero-length notes are left out; tempo changes apply', () => {
    const midi = new Midi();
    midi.header.setTempo(60);
    midi.header.tempos.push({ ticks: 960, bpm: 120 });
    midi.header.update();
    const piano = midi.addTrack();
    piano.channel = 0;
    piano.addNote({ midi: 60, ticks: 0, durationTicks: 480, velocity: 0.5 });
    piano.addNote({ midi: 64, ticks: 960, durationTicks: 480, velocity: 1 });
    piano.addNote({ midi: 67, ticks: 100, durationTicks: 0 });
    const drums = midi.addTrack();
    drums.channel = 9;
    drums.addNote({ midi: 36, ticks: 0, durationTicks: 240 });
    const bytes = midi.toArray();
    const notes = decodeMidi(bytes);
    expect(notes.map((n) => n.pitch)).toEqual([60, 64]);
    // 480 ticks at 60 bpm (480 ppq) = 1 s; the tempo doubles at tick 960 (2 s), so 480 ticks after it are 0.5 s.
    expect(notes[0]).toMatchObject({ onset: 0, offset: 1, velocity: 63 }); // 0.5 is written as 63 of 127;
    expect(notes[1]!.onset).toBeCloseTo(2, 9);
    expect(notes[1]!.offset).toBeCloseTo(2.5, 9);
    expect(decodeMidi(bytes, { drums: true }).map((n) => n.pitch)).toEqual([36, 60, 64]);
  });

  it('hostile bytes: empty, text, forged headers, stray bytes', () => {
    const header = (format: number, tracks: number, division: number): Uint8Array => {
      const b = Uint8Array.from(MID);
      new DataView(b.buffer).setUint16(8, format);
      new DataView(b.buffer).setUint16(10, tracks);
      new DataView(b.buffer).setUint16(12, division);
      return b;
    };
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(0), /starts with the 14-byte header chunk 'MThd' \(0 bytes given\)/],
      [new TextEncoder().encode('this is not a MIDI file at all'), /starts with the 14-byte header chunk/],
      [header(3, 1, 480), /format 3/],
      [header(1, 0, 480), /declares no tracks/],
      [header(1, 2, 480), /declares 2 tracks, the file holds 1/],
      [header(1, 1, 0xe728), /SMPTE time division/],
      [header(1, 1, 0), /0 ticks per quarter note/],
      [Uint8Array.from([...MID, 1, 2, 3]), /3 stray bytes at offset 246/],
    ];
    for (const [bytes, message] of cases) {
      const error = attempt(bytes);
      expect(error, String(message)).toBeInstanceOf(RangeError);
      expect((error as Error).message).toMatch(/^bytes are not a readable MIDI file: /);
      expect((error as Error).message).toMatch(message);
    }
  });

  it('every truncation of a real file is refused; every single overwritten byte gives notes or a RangeError', () => {
    for (let length = 0; length < MID.length; length++) {
      const error = attempt(MID.subarray(0, length));
      expect(error, `first ${length} bytes`).toBeInstanceOf(RangeError);
    }
    const started = performance.now();
    for (let i = 0; i < MID.length; i++) {
      for (const value of [0x00, 0x7f, 0x80, 0xff]) {
        const bytes = Uint8Array.from(MID);
        bytes[i] = value;
        const outcome = attempt(bytes);
        if (!Array.isArray(outcome)) expect(outcome, `byte ${i} = ${value}`).toBeInstanceOf(RangeError);
      }
    }
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('readMidi names the file in its refusal; its options are checked before the file is read', async () => {
    const path = join(scratch, 'broken.mid');
    writeFileSync(path, MID.subarray(0, 100));
    await expect(readMidi(path)).rejects.toThrow(
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a readable MIDI file: chunk "MTrk" at offset 14 claims 224 bytes`),
    );
    await expect(readMidi('/nonexistent/x.mid', { drum: true } as never)).rejects.toThrow(/^unknown option options\.drum/);
  });
});
