/**
 * WAV decoding and encoding on files generated here with the `wavefile` package: integer PCM of 8, 16, 24 and
 * 32 bits and IEEE float of 32 and 64 bits decode to exactly the expected floats; several channels mix down or
 * one is picked; bad bytes are refused with a message.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wavefile from 'wavefile';
import { describe, expect, it } from 'vitest';
import { decodeWav, encodeWav } from '../src/index.js';
import { readWav } from '../src/node.js';

const { WaveFile } = wavefile;
const PIANO = fileURLToPath(new URL('../examples/data/piano-scale.wav', import.meta.url));

/** Deterministic integers in [lo, hi]. */
function ints(length: number, lo: number, hi: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return lo + (state % (hi - lo + 1));
  });
}

function wavBytes(channels: number, sampleRate: number, bitDepth: string, samples: number[] | number[][]): Uint8Array {
  const wav = new WaveFile();
  wav.fromScratch(channels, sampleRate, bitDepth, samples);
  return wav.toBuffer();
}

describe('decodeWav', () => {
  it('decodes 16-bit PCM exactly to s / 2^15', () => {
    const s = ints(1000, -32768, 32767, 1);
    const out = decodeWav(wavBytes(1, 44100, '16', s));
    expect(out.sampleRate).toBe(44100);
    expect(out.channels).toBe(1);
    expect(out.bitDepth).toBe('16');
    expect(out.duration).toBeCloseTo(1000 / 44100, 12);
    expect(Array.from(out.samples)).toEqual(s.map((v) => v / 32768));
  });

  it('decodes 24-bit PCM exactly to s / 2^23', () => {
    const s = ints(1000, -(2 ** 23), 2 ** 23 - 1, 2);
    const out = decodeWav(wavBytes(1, 48000, '24', s));
    expect(out.bitDepth).toBe('24');
    expect(Array.from(out.samples)).toEqual(s.map((v) => v / 2 ** 23));
  });

  it('decodes 32-bit integer and 8-bit unsigned PCM', () => {
    const s32 = ints(500, -(2 ** 31), 2 ** 31 - 1, 3);
    expect(Array.from(decodeWav(wavBytes(1, 8000, '32', s32)).samples)).toEqual(s32.map((v) => v / 2 ** 31));
    const s8 = ints(500, 0, 255, 4);
    expect(Array.from(decodeWav(wavBytes(1, 8000, '8', s8)).samples)).toEqual(s8.map((v) => (v - 128) / 128));
  });

  it('decodes 32-bit and 64-bit float samples as they are', () => {
    const f = ints(1000, -1e6, 1e6, 5).map((v) => v / 1e6);
    const f32 = f.map(Math.fround);
    const out32 = decodeWav(wavBytes(1, 22050, '32f', f32));
    expect(out32.bitDepth).toBe('32f');
    expect(Array.from(out32.samples)).toEqual(f32);
    const out64 = decodeWav(wavBytes(1, 22050, '64', f));
    expect(Array.from(out64.samples)).toEqual(f);
  });

  it('mixes channels down by averaging, or picks one', () => {
    const left = ints(400, -32768, 32767, 6);
    const right = ints(400, -32768, 32767, 7);
    const bytes = wavBytes(2, 16000, '16', [left, right]);
    const mixed = decodeWav(bytes);
    expect(mixed.channels).toBe(2);
    expect(mixed.samples.length).toBe(400);
    mixed.samples.forEach((v, i) => expect(v).toBeCloseTo((left[i]! + right[i]!) / 2 / 32768, 15));
    expect(Array.from(decodeWav(bytes, { channel: 1 }).samples)).toEqual(right.map((v) => v / 32768));
    expect(() => decodeWav(bytes, { channel: 2 })).toThrow(
      /options.channel must be an integer in \[0, 1\] \(the file has 2 channels\), got 2/,
    );
  });

  it('accepts an ArrayBuffer and does not modify the bytes', () => {
    const bytes = wavBytes(1, 8000, '16', ints(100, -100, 100, 8));
    const copy = bytes.slice();
    const out = decodeWav(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    expect(out.samples.length).toBe(100);
    decodeWav(bytes);
    expect(bytes).toEqual(copy);
  });

  it('refuses what is not a WAV file', () => {
    expect(() => decodeWav(new TextEncoder().encode('1,2,3\n4,5,6\n'))).toThrow(RangeError);
    expect(() => decodeWav(new TextEncoder().encode('1,2,3\n4,5,6\n'))).toThrow(/bytes are not a readable WAV file/);
    expect(() => decodeWav('piano.wav' as never)).toThrow(/bytes must be a Uint8Array \(or Buffer\) or an ArrayBuffer, got "piano.wav"/);
  });
});

describe('encodeWav', () => {
  it('round-trips through decodeWav at every bit depth', () => {
    const x = Float64Array.from(ints(300, -999, 999, 9), (v) => v / 1000);
    for (const bitDepth of ['16', '24', '32'] as const) {
      const back = decodeWav(encodeWav(x, 22050, { bitDepth })).samples;
      const step = 2 ** -(Number(bitDepth) - 1);
      back.forEach((v, i) => expect(Math.abs(v - x[i]!)).toBeLessThanOrEqual(step / 2 + 1e-15));
    }
    expect(Array.from(decodeWav(encodeWav(x, 22050, { bitDepth: '64' })).samples)).toEqual(Array.from(x));
    expect(Array.from(decodeWav(encodeWav(x, 22050, { bitDepth: '32f' })).samples)).toEqual(Array.from(x, Math.fround));
  });

  it('clips integer formats to full scale', () => {
    const back = decodeWav(encodeWav([2, -2, 0.5], 8000)).samples;
    expect(Array.from(back)).toEqual([32767 / 32768, -1, 0.5]);
  });

  it('validates its arguments', () => {
    expect(() => encodeWav([0, Infinity], 8000)).toThrow(/samples must be finite, but samples\[1\] is Infinity/);
    expect(() => encodeWav([0], 8000.5)).toThrow(/sampleRate must be a positive integer \(Hz\), got 8000.5/);
    expect(() => encodeWav([0], 8000, { bitDepth: '12' as never })).toThrow(/options.bitDepth must be one of/);
  });
});

describe('readWav', () => {
  it('reads the demo recording: mono 16-bit 22 050 Hz, 11.4 s', async () => {
    const wav = await readWav(PIANO);
    expect(wav.sampleRate).toBe(22050);
    expect(wav.channels).toBe(1);
    expect(wav.bitDepth).toBe('16');
    expect(wav.duration).toBeCloseTo(11.4, 1);
    expect(wav.samples.every((v) => v >= -1 && v < 1)).toBe(true);
  });

  it('rejects a missing file with the file system error', async () => {
    await expect(readWav('/nonexistent/x.wav')).rejects.toThrow(/ENOENT/);
  });

  it('names the file in messages built for it (not "bytes …" with the subject cut off)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nmfkit-wav-'));
    try {
      const fake = join(dir, 'fake.wav');
      writeFileSync(fake, 'RIFF1234not a wave');
      await expect(readWav(fake)).rejects.toThrow(
        new RegExp(`^${fake.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a readable WAV file: `),
      );
      const bytes = new Uint8Array(encodeWav(new Float64Array(64), 8000, { bitDepth: '16' }));
      bytes[20] = 0x55; // the fmt chunk's format code: MPEG layer 3
      writeFileSync(fake, bytes);
      await expect(readWav(fake)).rejects.toThrow(`${fake}: unsupported WAV format code 0x0055`);
      // decodeWav still speaks of its argument.
      expect(() => decodeWav(bytes)).toThrow(/^bytes: unsupported WAV format code 0x0055/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
