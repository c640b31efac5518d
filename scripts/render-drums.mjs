#!/usr/bin/env node
/**
 * Writes and renders the drum demo's data (packages/nmfkit-audio/examples/data/drums.*): a two-bar rock pattern as
 * General MIDI percussion (channel 10: kick 36, snare 38, closed hi-hat 42), its mix, each drum alone (the ground
 * truth of the separation), and single hits of each drum from another kit of the soundfont (the samples NMFD's
 * templates are learned from, as libnmfd's 'drums' initialisation learns them from its own sample folders).
 *
 *   node scripts/render-drums.mjs [--check]
 *
 * Needs fluidsynth and the FluidR3_GM soundfont (Debian: apt-get install fluidsynth fluid-soundfont-gm). Every file
 * is rendered by `fluidsynth -ni -R 0 -C 0 -g 0.6 -r 22050 -O float -T wav` (reverb and chorus off, so the stems add
 * up to the mix), mixed down to mono (the mean of the channels), cut to a fixed length and written as 16-bit PCM.
 * The script prints how well the stems add up to the mix. With --check nothing is written: it renders again and
 * fails unless every shipped WAV agrees with the new render to its 16-bit rounding.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import midiPackage from '@tonejs/midi';
import { decode, pcm16, ratio, render as renderWithEffects, requireSoundfont, SAMPLE_RATE } from './lib/fluidsynth.mjs';

const { Midi } = midiPackage;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DATA = join(ROOT, 'packages/nmfkit-audio/examples/data');
const check = process.argv.includes('--check');
requireSoundfont();

/** The drums, by General MIDI percussion key. */
const DRUMS = [
  { name: 'kick', key: 36 },
  { name: 'snare', key: 38 },
  { name: 'hihat', key: 42 },
];
/** 120 bpm: an eighth note is 0.25 s. Two bars of eighths (16 steps); 'x' = a hit, with its velocity below. */
const STEP = 0.25;
const PATTERN = {
  kick: 'x...x.x.x...x.xx',
  snare: '..x...x...x...xx',
  hihat: 'xxxxxxxxxxxxxxx.',
};
const PATTERN_SECONDS = 4.5;
/** The kit of the mix and stems (GM Standard, preset 0) and of the template samples (Room, preset 8). */
const MIX_KIT = 0;
const SAMPLE_KIT = 8;
/** Three hits per drum for its samples, 0.5 s apart, at these velocities. */
const SAMPLE_VELOCITIES = [70, 100, 120];
const SAMPLE_SECONDS = 1.5;

/** A type-0-like MIDI file: one percussion track (channel 10, 0-based 9) with `kit` and `notes`. */
function midiFile(kit, notes) {
  const midi = new Midi();
  midi.header.setTempo(120);
  const track = midi.addTrack();
  track.channel = 9;
  track.instrument.number = kit;
  for (const note of notes) track.addNote({ midi: note.key, time: note.time, duration: 0.1, velocity: note.velocity / 127 });
  return Buffer.from(midi.toArray());
}

/** The pattern's hits of the drums in `names`. Accents on the beats: velocity 110, else 85. */
function patternNotes(names) {
  const notes = [];
  for (const { name, key } of DRUMS) {
    if (!names.includes(name)) continue;
    [...PATTERN[name]].forEach((c, i) => {
      if (c === 'x') notes.push({ key, time: i * STEP, velocity: i % 2 === 0 ? 110 : 85 });
    });
  }
  return notes;
}

/** Renders a MIDI file with reverb and chorus off (so the stems add up to the mix), `seconds` long. */
function render(dir, label, bytes, seconds) {
  return renderWithEffects(dir, label, bytes, Math.round(seconds * SAMPLE_RATE), ['-R', '0', '-C', '0']);
}

const dir = mkdtempSync(join(tmpdir(), 'render-drums-'));
try {
  const names = DRUMS.map((d) => d.name);
  const pattern = midiFile(MIX_KIT, patternNotes(names));
  const mix = render(dir, 'mix', pattern, PATTERN_SECONDS);
  const files = { 'drums.mid': pattern, 'drums.wav': pcm16(mix) };
  const sum = new Float64Array(mix.length);
  for (const { name, key } of DRUMS) {
    const stem = render(dir, name, midiFile(MIX_KIT, patternNotes([name])), PATTERN_SECONDS);
    for (let i = 0; i < sum.length; i++) sum[i] += stem[i];
    files[`drums.${name}.wav`] = pcm16(stem);
    const hits = SAMPLE_VELOCITIES.map((velocity, i) => ({ key, time: 0.5 * i, velocity }));
    files[`drums.samples.${name}.wav`] = pcm16(render(dir, `${name}-samples`, midiFile(SAMPLE_KIT, hits), SAMPLE_SECONDS));
  }
  console.log(`kick + snare + hi-hat stems vs the mix: ${ratio(mix, sum).toFixed(1)} dB`);
  let agree = true;
  for (const [file, bytes] of Object.entries(files)) {
    const target = join(DATA, file);
    if (check) {
      const same = file.endsWith('.mid')
        ? Buffer.compare(readFileSync(target), bytes) === 0
        : ratio(decode(readFileSync(target)), decode(bytes)) > 60;
      console.log(`${file}: ${same ? 'agrees with' : 'DIFFERS from'} the shipped file`);
      agree &&= same;
    } else {
      writeFileSync(target, bytes);
      console.log(`wrote ${target} (${bytes.length} bytes)`);
    }
  }
  if (!agree) process.exit(1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
