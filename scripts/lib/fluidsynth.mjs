/**
 * What the render scripts (render-stems.mjs, render-drums.mjs) share: fluidsynth with the FluidR3_GM soundfont at
 * 22 050 Hz in 32-bit float, WAV decoding to mono, 16-bit PCM encoding and the signal-to-error ratio of the checks.
 * Needs fluidsynth and the soundfont (Debian: apt-get install fluidsynth fluid-soundfont-gm).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wavefile from 'wavefile';

const { WaveFile } = wavefile;
const SOUNDFONT = '/usr/share/sounds/sf2/FluidR3_GM.sf2';
export const SAMPLE_RATE = 22050;

/** Throws unless the soundfont is installed. */
export function requireSoundfont() {
  if (!existsSync(SOUNDFONT)) throw new Error(`${SOUNDFONT} is missing: apt-get install fluid-soundfont-gm`);
}

/** The mono samples of a WAV file (channels averaged), as float64. */
export function decode(bytes) {
  const wav = new WaveFile(bytes);
  const raw = wav.getSamples(false, Float64Array);
  const channels = Array.isArray(raw) ? raw : [raw];
  const scale = wav.bitDepth === '32f' || wav.bitDepth === '64' ? 1 : 2 ** (Number(wav.bitDepth) - 1);
  const out = new Float64Array(channels[0].length);
  for (const c of channels) for (let i = 0; i < out.length; i++) out[i] += c[i] / scale / channels.length;
  return out;
}

/**
 * Renders the MIDI file `bytes` with fluidsynth (gain 0.6 and the extra `flags`) in `dir`: its mono samples, cut
 * or padded to `length`.
 */
export function render(dir, label, bytes, length, flags = []) {
  const mid = join(dir, `${label}.mid`);
  const wav = join(dir, `${label}.wav`);
  writeFileSync(mid, bytes);
  execFileSync(
    'fluidsynth',
    ['-ni', '-q', ...flags, '-g', '0.6', '-r', String(SAMPLE_RATE), '-O', 'float', '-T', 'wav', '-F', wav, SOUNDFONT, mid],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const out = new Float64Array(length);
  const samples = decode(readFileSync(wav));
  out.set(samples.subarray(0, length));
  return out;
}

/** A 16-bit mono PCM WAV file of `samples` (full scale ±1). */
export function pcm16(samples) {
  const wav = new WaveFile();
  wav.fromScratch(
    1,
    SAMPLE_RATE,
    '16',
    Int16Array.from(samples, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32768)))),
  );
  return Buffer.from(wav.toBuffer());
}

/** 10 log10(‖reference‖² / ‖reference − x‖²) in dB. */
export function ratio(reference, x) {
  let signal = 0;
  let error = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    error += (reference[i] - x[i]) ** 2;
  }
  return 10 * Math.log10(signal / error);
}
