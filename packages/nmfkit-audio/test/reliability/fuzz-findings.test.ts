/**
 * What the fuzzers of the file readers found (fuzz/js/, `npm run fuzz`), one regression each, and the whole corpus
 * of fuzz/corpus/{csv,json,npy,wav} replayed through the fuzzers' oracle: a reader returns a valid result or throws
 * a TypeError or RangeError naming the file.
 *  - A matrix file's errors were plain Errors (InputError); it is now a RangeError, as the library's are for a bad
 *    value.
 *  - JSON `[[]]` read as a 1×0 matrix.
 *  - JSON `1e999` read as Infinity, a .npy file's NaN and ±Infinity as themselves: the CSV reader refused them,
 *    these two passed them on.
 *  - A 76-byte WAV file whose 'cue ' chunk claims 2^32 − 1 cue points hung readWav in wavefile, filling memory
 *    (wavefile trusts the counts of every chunk it parses; decoding now hands it only the chunks it needs).
 *  - A float WAV file's NaN samples came back as samples.
 *  - A 104-byte Matrix Market file whose size line declares 47,483,648 features (samples in rows) made the chunk
 *    reader allocate two arrays of that many row pointers, 380 MB; it now refuses more than 2^24 features, and
 *    builds a chunk's pointers in one array.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/cli/errors.js';
import { readMatrixFile } from '../../src/cli/matrix-io.js';
import { decodeWav, encodeWav } from '../../src/index.js';
import { readWav } from '../../src/node.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-fuzz-findings-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, contents: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, contents);
  return path;
}

/** The error `run` rejects with (fails the test if it resolves). */
async function rejection(run: () => Promise<unknown>): Promise<Error> {
  try {
    await run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

/** A RIFF chunk: id, little-endian size, body (padded to an even length). */
function chunk(id: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length + (body.length % 2));
  out.set(new TextEncoder().encode(id));
  new DataView(out.buffer).setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}

/** A WAV file of the given chunks after the RIFF header. */
function riff(...chunks: Uint8Array[]): Uint8Array {
  const size = chunks.reduce((n, c) => n + c.length, 4);
  const out = new Uint8Array(8 + size);
  out.set(new TextEncoder().encode('RIFF'));
  new DataView(out.buffer).setUint32(4, size, true);
  out.set(new TextEncoder().encode('WAVE'), 8);
  let at = 12;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** An IEEE float WAV file (format code 3) of interleaved `values`; encodeWav refuses what is not finite. */
function floatWav(bits: 32 | 64, channels: number, values: number[]): Uint8Array {
  const fmt = new Uint8Array(16);
  const f = new DataView(fmt.buffer);
  f.setUint16(0, 3, true);
  f.setUint16(2, channels, true);
  f.setUint32(4, 8000, true);
  f.setUint32(8, (8000 * channels * bits) / 8, true);
  f.setUint16(12, (channels * bits) / 8, true);
  f.setUint16(14, bits, true);
  const data = new Uint8Array((bits === 32 ? Float32Array.from(values) : Float64Array.from(values)).buffer);
  return riff(chunk('fmt ', fmt), chunk('data', data));
}

/** The 'fmt ' and 'data' chunks of a WAV file wavefile wrote (the first chunks after its header). */
function fmtAndData(wav: Uint8Array): { fmt: Uint8Array; data: Uint8Array } {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const found: Record<string, Uint8Array> = {};
  for (let at = 12; at + 8 <= wav.length;) {
    const id = String.fromCharCode(...wav.subarray(at, at + 4));
    const size = view.getUint32(at + 4, true);
    found[id] = wav.subarray(at, at + 8 + size + (size % 2));
    at += 8 + size + (size % 2);
  }
  return { fmt: found['fmt ']!, data: found.data! };
}

describe('matrix files: every error is a RangeError naming the file', () => {
  it('InputError is a RangeError', async () => {
    const path = file('ragged.csv', '1,2\n3\n');
    const error = await rejection(() => readMatrixFile(path, 'csv'));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.name).toBe('InputError');
    expect(error.message).toContain(path);
  });

  it('JSON [[]] is refused: row 1 is empty', async () => {
    const path = file('empty-row.json', '[[]]');
    const error = await rejection(() => readMatrixFile(path, 'json'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(`${path}: row 1 is empty (a matrix has at least one column)`);
  });

  it.each([
    ['[[1, 1e999]]', 'row 1, column 2'],
    ['[[-1e999]]', 'row 1, column 1'],
    ['{"rows": 1, "cols": 2, "data": [0, 1e400]}', '"data" entry 2 (row 1, column 2)'],
  ])('JSON %s: a number beyond float64 is refused, naming %s', async (text, where) => {
    const path = file('overflow.json', text);
    const error = await rejection(() => readMatrixFile(path, 'json'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain(`${path}: ${where}: a number beyond the range of float64 numbers`);
  });

  it.each([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ])('.npy holding %s is refused, naming the entry', async (value, text) => {
    const header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
    const start = Math.ceil((10 + header.length + 1) / 64) * 64; // the data's offset: a multiple of 64
    const padded = header + ' '.repeat(start - 10 - header.length - 1) + '\n';
    const bytes = new Uint8Array(start + 32);
    bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
    bytes.set(new TextEncoder().encode(padded), 10);
    bytes.set(new Uint8Array(Float64Array.from([1, 2, 3, value]).buffer), start);
    const path = file('not-finite.npy', bytes);
    const error = await rejection(() => readMatrixFile(path, 'npy'));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(`${path}: row 2, column 2: ${text} is not a finite number`);
  });
});

describe('WAV files', () => {
  const samples = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i / 4) / 2);

  it("a 'cue ' chunk claiming 2^32 − 1 cue points is ignored, promptly: the samples are those of the file without it", async () => {
    const { fmt, data } = fmtAndData(encodeWav(samples, 8000, { bitDepth: '16' }));
    const cue = chunk('cue ', Uint8Array.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]));
    const smpl = new Uint8Array(36);
    new DataView(smpl.buffer).setUint32(28, 0xffffffff, true); // cSampleLoops
    const started = performance.now();
    const decoded = await readWav(file('cue.wav', riff(fmt, cue, chunk('smpl', smpl), data)));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(decoded.samples).toEqual(decodeWav(riff(fmt, data)).samples);
    expect(decoded.samples).toHaveLength(64);
  });

  it('the fuzzer’s 76-byte file (cue chunk, format code 0x0055) is refused at once, naming the file', async () => {
    const path = join(ROOT, 'fuzz/corpus/wav/regress-cue-point-count');
    const started = performance.now();
    const error = await rejection(() => readWav(path));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toContain(`${path}: unsupported WAV format code 0x0055`);
  });

  it('a data chunk cut short by the end of the file decodes the samples it holds', () => {
    const wav = encodeWav(samples, 8000, { bitDepth: '16' });
    expect(decodeWav(wav.subarray(0, wav.length - 10)).samples).toEqual(decodeWav(wav).samples.subarray(0, 64 - 5));
  });

  it.each([
    [32, NaN, 'NaN'],
    [64, Infinity, 'Infinity'],
    [64, -Infinity, '-Infinity'],
  ] as const)('a float%i file holding %s samples is refused, naming the sample and channel', async (bits, value, text) => {
    // Stereo, the bad sample in channel 1: mixed down, and picked alone.
    const values = Array.from({ length: 16 }, (_, i) => (i === 11 ? value : i / 32));
    const path = file(`not-finite-${bits}.wav`, floatWav(bits, 2, values));
    const error = await rejection(() => readWav(path));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(`${path}: sample 5 of channel 1 is ${text}, not a finite number`);
    await expect(readWav(path, { channel: 1 })).rejects.toThrow(`${path}: sample 5 of channel 1 is ${text}`);
    expect((await readWav(path, { channel: 0 })).samples).toHaveLength(8);
  });

  it('two float64 channels whose mix overflows are refused; either channel alone decodes', () => {
    const wav = floatWav(
      64,
      2,
      Array.from({ length: 8 }, () => 1.5e308),
    );
    let error: unknown;
    try {
      decodeWav(wav);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({
      message: 'bytes: the channels of sample 0 add up beyond the range of float64 numbers',
      code: 'NMFKIT_INVALID_VALUE',
    });
    expect(decodeWav(wav, { channel: 1 }).samples).toEqual(new Float64Array(4).fill(1.5e308));
  });
});

describe.each(['csv', 'json', 'npy', 'mtx', 'wav'])('fuzz/corpus/%s', (target) => {
  it('every input passes the fuzzer’s oracle (run.mjs --replay)', () => {
    const run = spawnSync(process.execPath, ['fuzz/js/run.mjs', target, '--replay', `fuzz/corpus/${target}`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^fuzz ${target}: replayed [1-9]\\d* inputs, 0 failed$`, 'm'));
  });
});
