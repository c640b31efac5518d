#!/usr/bin/env node
/**
 * Renders the ground truth of the demo's separation task: the notes of one pitch of examples/data/piano-scale.mid
 * alone (the stem), with the same synthesizer, soundfont and settings as the recording itself.
 *
 *   node scripts/render-stems.mjs [--pitch 72] [--check]
 *
 * Needs fluidsynth and the FluidR3_GM soundfont (Debian: apt-get install fluidsynth fluid-soundfont-gm). Steps:
 *
 * 1. The MIDI file is split with @tonejs/midi into two files of the same tempo, resolution and program: the notes of
 *    the pitch, and all the others.
 * 2. Each file, and the whole one, is rendered by fluidsynth at 22 050 Hz in 32-bit float, stereo, with its
 *    default reverb and chorus and gain 0.6 (`fluidsynth -ni -g 0.6 -r 22050 -O float -T wav`): these settings
 *    reproduce the shipped recording piano-scale.wav, which is the mean of the two channels in 16-bit PCM.
 * 3. Each render is mixed down to mono (the mean of the channels) and cut to the recording's length.
 * 4. Checks, printed as signal-to-error ratios: the whole render against the shipped recording (it is that
 *    recording up to its 16-bit rounding), and stem + rest against the whole render (the synthesizer is linear in
 *    the notes: reverb and chorus are linear filters).
 * 5. The stem is written as 16-bit mono PCM to packages/nmfkit-audio/examples/data/piano-scale.<name>.wav, e.g.
 *    piano-scale.C5.wav. The rest of the recording (all the other notes) is the recording minus the stem; the
 *    check of step 4 says how exact that is.
 *
 * With --check nothing is written: the script renders, compares with the shipped stem and fails unless they agree
 * to the 16-bit rounding (a stem regenerated on another fluidsynth or soundfont build would show up here).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import midiPackage from '@tonejs/midi';
import { decode, pcm16, ratio, render, requireSoundfont } from './lib/fluidsynth.mjs';

const { Midi } = midiPackage;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'packages/nmfkit-audio/examples/data');
const NAMES = ['C', 'Cs', 'D', 'Ds', 'E', 'F', 'Fs', 'G', 'Gs', 'A', 'As', 'B'];

const args = process.argv.slice(2);
const pitchFlag = args.indexOf('--pitch');
const pitch = pitchFlag >= 0 ? Number(args[pitchFlag + 1]) : 72;
const check = args.includes('--check');
if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) throw new Error(`--pitch must be a MIDI pitch, got ${args[pitchFlag + 1]}`);
const name = `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
requireSoundfont();

/** A MIDI file holding only the notes that `keep` accepts, with the original's header, tracks and programs. */
function subset(midi, keep) {
  const copy = new Midi();
  copy.fromJSON({
    ...midi.toJSON(),
    tracks: midi.toJSON().tracks.map((track) => ({ ...track, notes: track.notes.filter((note) => keep(note.midi)) })),
  });
  return Buffer.from(copy.toArray());
}

const midi = new Midi(readFileSync(join(DATA, 'piano-scale.mid')));
const recording = decode(readFileSync(join(DATA, 'piano-scale.wav')));
const dir = mkdtempSync(join(tmpdir(), 'render-stems-'));
try {
  const whole = render(dir, 'whole', readFileSync(join(DATA, 'piano-scale.mid')), recording.length);
  const stem = render(
    dir,
    'stem',
    subset(midi, (p) => p === pitch),
    recording.length,
  );
  const rest = render(
    dir,
    'rest',
    subset(midi, (p) => p !== pitch),
    recording.length,
  );
  const sum = stem.map((v, i) => v + rest[i]);
  const restFromRecording = recording.map((v, i) => v - stem[i]);
  console.log(`fluidsynth render vs the shipped recording: ${ratio(recording, whole).toFixed(1)} dB`);
  console.log(`${name} stem + the rest vs the whole render: ${ratio(whole, sum).toFixed(1)} dB`);
  console.log(`recording − ${name} stem vs the rendered rest: ${ratio(rest, restFromRecording).toFixed(1)} dB`);
  const target = join(DATA, `piano-scale.${name}.wav`);
  const bytes = pcm16(stem);
  if (check) {
    const shipped = decode(readFileSync(target));
    const agreement = ratio(decode(bytes), shipped);
    console.log(`shipped ${target} vs this render: ${agreement.toFixed(1)} dB`);
    if (!(agreement > 60)) process.exit(1);
  } else {
    writeFileSync(target, bytes);
    console.log(`wrote ${target} (${bytes.length} bytes)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
