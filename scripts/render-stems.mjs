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
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import midiPackage from '@tonejs/midi';
import wavefile from 'wavefile';

const { Midi } = midiPackage;
const { WaveFile } = wavefile;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'packages/nmfkit-audio/examples/data');
const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
const SAMPLE_RATE = 22050;
const NAMES = ['C', 'Cs', 'D', 'Ds', 'E', 'F', 'Fs', 'G', 'Gs', 'A', 'As', 'B'];

const args = process.argv.slice(2);
const pitchFlag = args.indexOf('--pitch');
const pitch = pitchFlag >= 0 ? Number(args[pitchFlag + 1]) : 72;
const check = args.includes('--check');
if (!Number.isInteger(pitch) || pitch < 0 || pitch > 127) throw new Error(`--pitch must be a MIDI pitch, got ${args[pitchFlag + 1]}`);
const name = `${NAMES[pitch % 12]}${Math.floor(pitch / 12) - 1}`;
if (!existsSync(SOUNDFONT)) throw new Error(`${SOUNDFONT} is missing: apt-get install fluid-soundfont-gm`);

/** The mono samples of a WAV file (channels averaged), as float64. */
function decode(bytes) {
  const wav = new WaveFile(bytes);
  const raw = wav.getSamples(false, Float64Array);
  const channels = Array.isArray(raw) ? raw : [raw];
  const { bitDepth } = wav;
  const scale = bitDepth === '32f' || bitDepth === '64' ? 1 : 2 ** (Number(bitDepth) - 1);
  const out = new Float64Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / scale / channels.length;
  return out;
}

/** A MIDI file holding only the notes that `keep` accepts, with the original's header, tracks and programs. */
function subset(midi, keep) {
  const copy = new Midi();
  copy.fromJSON({
    ...midi.toJSON(),
    tracks: midi.toJSON().tracks.map((track) => ({ ...track, notes: track.notes.filter((note) => keep(note.midi)) })),
  });
  return Buffer.from(copy.toArray());
}

/** Renders a MIDI file with fluidsynth and returns its mono samples, cut or padded to `length`. */
function render(dir, label, bytes, length) {
  const mid = join(dir, `${label}.mid`);
  const wav = join(dir, `${label}.wav`);
  writeFileSync(mid, bytes);
  execFileSync('fluidsynth', ['-ni', '-q', '-g', '0.6', '-r', String(SAMPLE_RATE), '-O', 'float', '-T', 'wav', '-F', wav, SOUNDFONT, mid], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const samples = decode(readFileSync(wav));
  const out = new Float64Array(length);
  out.set(samples.subarray(0, length));
  return out;
}

/** 10 log10(‖reference‖² / ‖reference − x‖²) in dB. */
function ratio(reference, x) {
  let signal = 0;
  let error = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    error += (reference[i] - x[i]) ** 2;
  }
  return 10 * Math.log10(signal / error);
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
  const wav = new WaveFile();
  wav.fromScratch(
    1,
    SAMPLE_RATE,
    '16',
    Int16Array.from(stem, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)))),
  );
  const bytes = Buffer.from(wav.toBuffer());
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
