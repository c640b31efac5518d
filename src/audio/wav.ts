/**
 * WAV files: decoding to a mono float64 signal and encoding, through the `wavefile` package. Decoding accepts
 * integer PCM (8-bit unsigned, 16/24/32-bit signed), IEEE float (32/64-bit), WAVE_FORMAT_EXTENSIBLE, and the
 * compressed codecs wavefile expands (A-law, µ-law, IMA ADPCM); several channels are mixed down by averaging,
 * or one channel is picked.
 */
import { readFile, writeFile } from 'node:fs/promises';
import wavefile from 'wavefile';
import { describe } from '../validate.js';
import { checkOptions, toSignal, type AudioSignal } from './signal.js';

const { WaveFile } = wavefile;

/** What {@link decodeWav} returns: the mono signal and what the file held. */
export interface DecodedWav extends AudioSignal {
  /** Channels in the file (before mixing down). */
  readonly channels: number;
  /** wavefile's bit-depth code of the file: '8', '16', '24', '32', '32f', '64', '8a' (A-law), '8m' (µ-law), '4' (IMA ADPCM). */
  readonly bitDepth: string;
  /** Duration in seconds. */
  readonly duration: number;
}

/** Options of {@link decodeWav} and {@link readWav}. */
export interface DecodeWavOptions {
  /** `'mix'` (default) averages all channels; a number picks that channel (0-based). */
  readonly channel?: 'mix' | number;
}

/** Bit depths {@link encodeWav} writes: integer PCM or IEEE float. */
export type WavBitDepth = '16' | '24' | '32' | '32f' | '64';

/** Options of {@link encodeWav} and {@link writeWav}. */
export interface EncodeWavOptions {
  /** Sample format of the file. Default '16'. Integer formats clip samples to [-1, 1]. */
  readonly bitDepth?: WavBitDepth;
}

/** Full-scale value of each integer PCM depth: a sample s decodes to s / scale. */
const PCM_SCALE: Record<string, number> = { '16': 2 ** 15, '24': 2 ** 23, '32': 2 ** 31 };

/**
 * Decodes the bytes of a WAV file into a mono float64 signal: integer PCM is scaled to [-1, 1) (8-bit PCM is
 * unsigned, centred on 128), float samples are taken as they are. Does not modify `bytes`.
 * @throws TypeError for a wrong argument type, RangeError for bytes that are not a WAV file wavefile can read.
 */
export function decodeWav(bytes: Uint8Array | ArrayBuffer, options?: DecodeWavOptions): DecodedWav {
  if (!(bytes instanceof Uint8Array || bytes instanceof ArrayBuffer)) {
    throw new TypeError(`bytes must be a Uint8Array (or Buffer) or an ArrayBuffer, got ${describe(bytes)}`);
  }
  const o = checkOptions<DecodeWavOptions>('options', options, ['channel']);
  // wavefile keeps views on what it is given; hand it a private copy so the caller's bytes stay untouched.
  const copy = bytes instanceof Uint8Array ? bytes.slice() : new Uint8Array(bytes.slice(0));
  const wav = new WaveFile();
  try {
    wav.fromBuffer(copy);
  } catch (cause) {
    throw new RangeError(`bytes are not a readable WAV file: ${(cause as Error).message}`, { cause });
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number };
  let bitDepth = wav.bitDepth;
  const originalDepth = bitDepth;
  try {
    if (bitDepth === '8a') wav.fromALaw('16');
    else if (bitDepth === '8m') wav.fromMuLaw('16');
    else if (bitDepth === '4') wav.fromIMAADPCM('16');
  } catch (cause) {
    throw new RangeError(`bytes hold ${originalDepth}-coded audio that could not be decoded: ${(cause as Error).message}`, { cause });
  }
  bitDepth = wav.bitDepth;
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  if (!(Number.isInteger(channels) && channels >= 1)) throw new RangeError(`bytes: the WAV header gives ${describe(channels)} channels`);
  if (!(sampleRate > 0)) throw new RangeError(`bytes: the WAV header gives a sample rate of ${describe(sampleRate)}`);
  if (!['8', '16', '24', '32', '32f', '64'].includes(bitDepth)) {
    throw new RangeError(`bytes: unsupported WAV sample format (bit depth code ${describe(bitDepth)})`);
  }

  const channel = o.channel ?? 'mix';
  if (channel !== 'mix') {
    if (typeof channel !== 'number') throw new TypeError(`options.channel must be 'mix' or a channel index, got ${describe(channel)}`);
    if (!Number.isInteger(channel) || channel < 0 || channel >= channels) {
      throw new RangeError(`options.channel must be an integer in [0, ${channels - 1}] (the file has ${channels} channel${channels === 1 ? '' : 's'}), got ${describe(channel)}`);
    }
  }

  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const perChannel = channels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  const picked = channel === 'mix' ? perChannel : [perChannel[channel]!];
  const length = picked[0]!.length;
  const samples = new Float64Array(length);
  const toUnit = sampleDecoder(bitDepth);
  for (const data of picked) for (let i = 0; i < length; i++) samples[i] += toUnit(data[i]!);
  if (picked.length > 1) for (let i = 0; i < length; i++) samples[i] /= picked.length;
  return { sampleRate, samples, channels, bitDepth: originalDepth, duration: length / sampleRate };
}

function sampleDecoder(bitDepth: string): (x: number) => number {
  if (bitDepth === '8') return (x) => (x - 128) / 128;
  const scale = PCM_SCALE[bitDepth];
  return scale === undefined ? (x) => x : (x) => x / scale;
}

/** Reads and decodes a WAV file (see {@link decodeWav}). Rejects with the file system's error for a missing file. */
export async function readWav(path: string, options?: DecodeWavOptions): Promise<DecodedWav> {
  if (typeof path !== 'string') throw new TypeError(`path must be a string, got ${describe(path)}`);
  const bytes = await readFile(path);
  try {
    return decodeWav(bytes, options);
  } catch (error) {
    if (error instanceof RangeError) throw new RangeError(`${path}: ${error.message.replace(/^bytes:? ?/, '')}`, { cause: error });
    throw error;
  }
}

/**
 * Encodes a mono signal as the bytes of a WAV file. Integer formats clip to [-1, 1] and round to the nearest
 * step; float formats store the samples as they are.
 */
export function encodeWav(samples: Float64Array | Float32Array | readonly number[], sampleRate: number, options?: EncodeWavOptions): Uint8Array {
  const signal = toSignal('samples', samples, 0);
  if (typeof sampleRate !== 'number') throw new TypeError(`sampleRate must be a number, got ${describe(sampleRate)}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0x7fffffff) {
    throw new RangeError(`sampleRate must be a positive integer (Hz), got ${describe(sampleRate)}`);
  }
  const o = checkOptions<EncodeWavOptions>('options', options, ['bitDepth']);
  const bitDepth = o.bitDepth ?? '16';
  if (!['16', '24', '32', '32f', '64'].includes(bitDepth)) {
    throw new (typeof bitDepth === 'string' ? RangeError : TypeError)(
      `options.bitDepth must be one of '16', '24', '32', '32f', '64', got ${describe(bitDepth)}`,
    );
  }
  const scale = PCM_SCALE[bitDepth];
  let data: Float64Array | Int32Array = signal;
  if (scale !== undefined) {
    const ints = new Int32Array(signal.length);
    for (let i = 0; i < signal.length; i++) {
      const clipped = Math.max(-1, Math.min(1, signal[i]!));
      ints[i] = Math.max(-scale, Math.min(scale - 1, Math.round(clipped * scale)));
    }
    data = ints;
  }
  const wav = new WaveFile();
  wav.fromScratch(1, sampleRate, bitDepth, data);
  return wav.toBuffer();
}

/** Encodes a mono signal (see {@link encodeWav}) and writes it to `path`. */
export async function writeWav(
  path: string,
  samples: Float64Array | Float32Array | readonly number[],
  sampleRate: number,
  options?: EncodeWavOptions,
): Promise<void> {
  if (typeof path !== 'string') throw new TypeError(`path must be a string, got ${describe(path)}`);
  await writeFile(path, encodeWav(samples, sampleRate, options));
}
