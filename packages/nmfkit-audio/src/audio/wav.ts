/**
 * WAV bytes: decoding to a mono float64 signal and encoding, through the `wavefile` package (the files themselves,
 * readWav and writeWav, are Node's: ../node.ts). Decoding accepts
 * integer PCM (8-bit unsigned, 16/24/32-bit signed), IEEE float (32/64-bit), WAVE_FORMAT_EXTENSIBLE, and the
 * compressed codecs wavefile expands (A-law, µ-law, IMA ADPCM); several channels are mixed down by averaging,
 * or one channel is picked.
 */
import wavefile from 'wavefile';
import { checkChoice, checkTypedArray, describe, rangeError, typedArrayName, typeError } from 'nmfkit/validation';
import { decodableChunks } from './riff.js';
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

const BYTES = 'a Uint8Array (or Buffer) or an ArrayBuffer';

// The brand check of ArrayBuffer.prototype.byteLength: a SharedArrayBuffer, a proxy or an object with
// ArrayBuffer.prototype fails it, so what passes can be viewed without running any code of the caller's.
const ARRAY_BUFFER_BYTE_LENGTH = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'byteLength')!.get! as (this: unknown) => number;

/**
 * A private copy of the caller's bytes: wavefile keeps views on what it is given, and the copy also leaves the
 * caller's array untouched. Uint8Arrays are recognised by their internal type, not by `instanceof`.
 */
export function copyBytes(name: string, value: unknown): Uint8Array {
  if (typedArrayName(value) !== undefined) return new Uint8Array(checkTypedArray<Uint8Array>(name, value, ['Uint8Array'], BYTES));
  try {
    ARRAY_BUFFER_BYTE_LENGTH.call(value);
  } catch {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} must be ${BYTES}, got ${describe(value)}`);
  }
  let view: Uint8Array;
  try {
    view = new Uint8Array(value as ArrayBuffer);
  } catch {
    throw typeError('NMFKIT_INVALID_TYPE', `${name} is an ArrayBuffer that has been detached (transferred), so it holds no bytes`);
  }
  return new Uint8Array(view);
}

/** The options of decodeWav/readWav, read once, before any file is read; the channel's range needs the header. */
export function decodeOptions(options: unknown): { channel: 'mix' | number } {
  const o = checkOptions('options', options, ['channel']);
  if (o.channel === undefined || o.channel === 'mix') return { channel: 'mix' };
  if (typeof o.channel !== 'number')
    throw typeError('NMFKIT_INVALID_TYPE', `options.channel must be 'mix' or a channel index, got ${describe(o.channel)}`);
  return { channel: o.channel };
}

/**
 * Decodes the bytes of a WAV file into a mono float64 signal: integer PCM is scaled to [-1, 1) (8-bit PCM is
 * unsigned, centred on 128), float samples are taken as they are. Does not modify `bytes`.
 * @throws TypeError for a wrong argument type, RangeError for bytes that are not a WAV file wavefile can read.
 */
export function decodeWav(bytes: Uint8Array | ArrayBuffer, options?: DecodeWavOptions): DecodedWav {
  const copy = copyBytes('bytes', bytes);
  return decodeCopy(copy, decodeOptions(options));
}

/**
 * Decodes bytes of the package's own (a copy, or a file's contents) with options read by {@link decodeOptions}.
 * Its messages name `file` (a path) when given, else 'bytes' — each built whole for its subject.
 */
export function decodeCopy(copy: Uint8Array, o: { channel: 'mix' | number }, file?: string): DecodedWav {
  const name = file ?? 'bytes';
  const [are, hold] = file === undefined ? ['bytes are', 'bytes hold'] : [`${file} is`, `${file} holds`];
  const wav = new WaveFile();
  try {
    // Only the chunks decoding reads: wavefile's parsers of the others trust the file's counts (./riff.ts).
    wav.fromBuffer(decodableChunks(copy));
  } catch (cause) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${are} not a readable WAV file: ${messageOf(cause)}`, { cause });
  }
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; audioFormat: number; subformat?: number[] };
  // wavefile reads the samples of any format code as PCM of the header's bit depth; only the codes it decodes pass
  // (WAVE_FORMAT_EXTENSIBLE carries its code in the first two bytes of the subformat GUID).
  const formatCode = fmt.audioFormat === 0xfffe ? (fmt.subformat?.[0] ?? 0) & 0xffff : fmt.audioFormat;
  if (!DECODED_FORMATS.has(formatCode)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `${name}: unsupported WAV format code ${formatHex(formatCode)} (nmfkit decodes PCM 0x0001, float 0x0003, A-law 0x0006, µ-law 0x0007 and IMA ADPCM 0x0011)`,
    );
  }
  let bitDepth = wav.bitDepth;
  const originalDepth = bitDepth;
  try {
    if (bitDepth === '8a') wav.fromALaw('16');
    else if (bitDepth === '8m') wav.fromMuLaw('16');
    else if (bitDepth === '4') wav.fromIMAADPCM('16');
  } catch (cause) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${hold} ${originalDepth}-coded audio that could not be decoded: ${messageOf(cause)}`, {
      cause,
    });
  }
  bitDepth = wav.bitDepth;
  const channels = fmt.numChannels;
  const sampleRate = fmt.sampleRate;
  if (!(Number.isInteger(channels) && channels >= 1))
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}: the WAV header gives ${describe(channels)} channels`);
  if (!(sampleRate > 0)) throw rangeError('NMFKIT_INVALID_VALUE', `${name}: the WAV header gives a sample rate of ${describe(sampleRate)}`);
  if (!['8', '16', '24', '32', '32f', '64'].includes(bitDepth)) {
    throw rangeError('NMFKIT_INVALID_VALUE', `${name}: unsupported WAV sample format (bit depth code ${describe(bitDepth)})`);
  }

  const { channel } = o;
  if (channel !== 'mix' && (!Number.isInteger(channel) || channel < 0 || channel >= channels)) {
    throw rangeError(
      'NMFKIT_INVALID_VALUE',
      `options.channel must be an integer in [0, ${channels - 1}] (the file has ${channels} channel${channels === 1 ? '' : 's'}), got ${describe(channel)}`,
    );
  }

  const raw = wav.getSamples(false, Float64Array) as unknown as Float64Array | Float64Array[];
  const perChannel = channels === 1 ? [raw as Float64Array] : (raw as Float64Array[]);
  const picked = channel === 'mix' ? perChannel : [perChannel[channel]!];
  const length = picked[0]!.length;
  const samples = new Float64Array(length);
  const toUnit = sampleDecoder(bitDepth);
  for (const data of picked) for (let i = 0; i < length; i++) samples[i] = samples[i]! + toUnit(data[i]!);
  if (picked.length > 1) for (let i = 0; i < length; i++) samples[i] = samples[i]! / picked.length;
  const bad = samples.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw rangeError('NMFKIT_INVALID_VALUE', nonFiniteSample(name, picked, channel === 'mix' ? undefined : channel, bad));
  return { sampleRate, samples, channels, bitDepth: originalDepth, duration: length / sampleRate };
}

/**
 * Why decoded sample i is not finite: a float file's sample that is NaN or infinite (IEEE float WAV data can hold
 * any float), or channels whose sum for the mix goes beyond float64's range.
 */
function nonFiniteSample(name: string, picked: readonly Float64Array[], channel: number | undefined, i: number): string {
  for (let c = 0; c < picked.length; c++) {
    const x = picked[c]![i]!;
    if (!Number.isFinite(x)) return `${name}: sample ${i} of channel ${channel ?? c} is ${x}, not a finite number`;
  }
  return `${name}: the channels of sample ${i} add up beyond the range of float64 numbers`;
}

/** The WAV format codes wavefile decodes: PCM, IEEE float, A-law, µ-law, IMA ADPCM. */
const DECODED_FORMATS = new Set([0x0001, 0x0003, 0x0006, 0x0007, 0x0011]);

function formatHex(code: unknown): string {
  return typeof code === 'number' && Number.isInteger(code) ? `0x${code.toString(16).padStart(4, '0')}` : describe(code);
}

/** wavefile's errors are its own Error objects; anything else it might throw is described without being trusted. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : describe(error);
}

function sampleDecoder(bitDepth: string): (x: number) => number {
  if (bitDepth === '8') return (x) => (x - 128) / 128;
  const scale = PCM_SCALE[bitDepth];
  return scale === undefined ? (x) => x : (x) => x / scale;
}

const BIT_DEPTHS: readonly WavBitDepth[] = ['16', '24', '32', '32f', '64'];

/**
 * Encodes a mono signal as the bytes of a WAV file. Integer formats clip to [-1, 1] and round to the nearest
 * step; float formats store the samples as they are.
 */
export function encodeWav(
  samples: Float64Array | Float32Array | readonly number[],
  sampleRate: number,
  options?: EncodeWavOptions,
): Uint8Array {
  const signal = toSignal('samples', samples, 0);
  if (typeof sampleRate !== 'number') throw typeError('NMFKIT_INVALID_TYPE', `sampleRate must be a number, got ${describe(sampleRate)}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > 0x7fffffff) {
    throw rangeError('NMFKIT_INVALID_VALUE', `sampleRate must be a positive integer (Hz), got ${describe(sampleRate)}`);
  }
  const o = checkOptions('options', options, ['bitDepth']);
  const bitDepth = o.bitDepth === undefined ? '16' : checkChoice('options.bitDepth', o.bitDepth, BIT_DEPTHS);
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
