/**
 * Hostile files for the chunk readers of `factorize --online`: every truncation and every single byte overwritten
 * of small real files (numpy's .npy, CSV, scipy's .mtx) ends in an InputError (a RangeError) naming the file, or in
 * data — for CSV and .npy the data `factorize`'s in-memory reader gets from the same bytes, which must then fail
 * too when the chunk reader fails. Never another error, a hang or a crash. Forged files get messages naming the
 * line or the offset.
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/cli/errors.js';
import { readMatrixFile } from '../../src/cli/matrix-io.js';
import { openChunks, type StreamFormat } from '../../src/cli/stream/open-chunks.js';
import { dense, type Dense } from '../helpers/chunks.js';
import { npyBytes } from '../helpers/npy.js';

const FIXTURES = new URL('../fixtures/stream/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nmfkit-hostile-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = { error: unknown } | { V: Dense };

/** All the chunks of a file (chunks of 4 samples), joined into one K×N matrix, or the error. */
async function streamed(path: string, format: StreamFormat, samples: 'rows' | 'columns'): Promise<Outcome> {
  try {
    const source = await openChunks(path, format, { samples });
    const chunks: Dense[] = [];
    for await (const chunk of source.chunks(4)) chunks.push(dense(chunk));
    const cols = chunks.reduce((n, c) => n + c.cols, 0);
    const data = new Float64Array(source.features * cols);
    let s0 = 0;
    for (const c of chunks) {
      for (let k = 0; k < c.rows; k++) for (let j = 0; j < c.cols; j++) data[k * cols + s0 + j] = c.data[k * c.cols + j]!;
      s0 += c.cols;
    }
    return { V: { rows: source.features, cols, data } };
  } catch (error) {
    return { error };
  }
}

async function inMemory(path: string, format: 'csv' | 'npy'): Promise<Outcome> {
  try {
    return { V: (await readMatrixFile(path, format)).matrix };
  } catch (error) {
    return { error };
  }
}

function expectNamedError(outcome: Outcome, path: string, what: string): void {
  expect('error' in outcome, what).toBe(true);
  const { error } = outcome as { error: Error };
  expect(error, `${what}: ${String(error)}`).toBeInstanceOf(InputError);
  expect(error.message, what).toContain(path);
}

const FILES = [
  ['v.npy', 'npy', 'columns'],
  ['v-fortran.npy', 'npy', 'columns'],
  ['vt-int16.npy', 'npy', 'rows'],
  ['v.csv', 'csv', 'columns'],
  ['v.mtx', 'mtx', 'columns'],
  ['v-pattern.mtx', 'mtx', 'columns'],
  ['vt-integer.mtx', 'mtx', 'rows'],
] as const;

/** Bytes written over each byte in turn: NUL, a minus sign, a digit, a high byte. */
const OVERWRITES = [0x00, 0x2d, 0x39, 0xff];

describe('every truncation and single-byte overwrite of a real file', () => {
  for (const [name, format, samples] of FILES) {
    it(`${name}`, async () => {
      const bytes = readFileSync(join(FIXTURES, name));
      const lastLine = bytes.lastIndexOf(0x0a, bytes.length - 2) + 1;
      const dataStart = format === 'npy' ? 10 + bytes.readUInt16LE(8) : 0;
      const judge = async (what: string, at: number, content: Uint8Array, slot: number): Promise<void> => {
        const truncated = content.length < bytes.length;
        const path = join(dir, `${slot}-${name}`);
        writeFileSync(path, content);
        const outcome = await streamed(path, format, samples);
        if ('error' in outcome) {
          expectNamedError(outcome, path, what);
          // The .npy reader is stricter than npyjs about the header (its version, its keys); past the header both
          // readers must agree.
          if (format === 'mtx' || (format === 'npy' && (truncated || at < dataStart))) return;
          expect('error' in (await inMemory(path, format)), `${what}: the in-memory reader takes it`).toBe(true);
          return;
        }
        if (format === 'mtx') {
          // A cut inside the last entry's line may leave a shorter valid entry ("0.25" → "0.2"); a cut before it
          // drops entries the size line counts. An overwritten byte may make another valid file (a digit of an
          // index or of the size line): its entries are still finite and ≥ 0.
          expect(truncated && at < lastLine, `${what} gives data`).toBe(false);
          expect(outcome.V.data.every((x) => Number.isFinite(x) && x >= 0)).toBe(true);
          return;
        }
        expect(truncated && format === 'npy', `${what} gives data`).toBe(false);
        const reference = await inMemory(path, format);
        expect(reference, `${what}: the in-memory reader`).not.toHaveProperty('error');
        const V = (reference as { V: Dense }).V;
        expect(outcome, what).toEqual({ V: samples === 'columns' ? V : transposed(V) });
      };
      const cases: [string, number, Uint8Array][] = [];
      for (let length = 0; length < bytes.length; length++) cases.push([`first ${length} bytes`, length, bytes.subarray(0, length)]);
      for (let i = 0; i < bytes.length; i++) {
        for (const value of OVERWRITES) {
          if (bytes[i] === value) continue;
          const copy = Uint8Array.from(bytes);
          copy[i] = value;
          cases.push([`byte ${i} = ${value}`, i, copy]);
        }
      }
      // Eight files at a time: the cases wait on the file system more than on the processor.
      for (let at = 0; at < cases.length; at += 8) {
        await Promise.all(cases.slice(at, at + 8).map(([what, where, content], slot) => judge(what, where, content, slot)));
      }
    }, 300_000);
  }
});

function transposed(M: Dense): Dense {
  const data = new Float64Array(M.data.length);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) data[j * M.rows + i] = M.data[i * M.cols + j]!;
  return { rows: M.cols, cols: M.rows, data };
}

describe('forged files are refused naming the line or the offset', () => {
  const cases: [string, string | Uint8Array, StreamFormat, 'rows' | 'columns', RegExp][] = [
    ['big.npy', npyBytes('>f8', [2, 2], new Float64Array(4)), 'npy', 'columns', /big-endian/],
    ['cube.npy', npyBytes('<f8', [2, 2, 1], new Float64Array(4)), 'npy', 'columns', /expected a 2-D array, got shape \(2, 2, 1\)/],
    ['bool.npy', npyBytes('|b1', [2, 2], new Uint8Array(4)), 'npy', 'columns', /dtype b1 is not supported/],
    [
      'short.npy',
      npyBytes('<f8', [3, 2], new Float64Array(4)),
      'npy',
      'columns',
      /holds 32 bytes of data, the header's shape 3×2 of 8-byte entries needs 48 \(truncated\?\)/,
    ],
    [
      'nan.npy',
      npyBytes('<f8', [2, 2], Float64Array.from([1, 2, NaN, 4])),
      'npy',
      'columns',
      /row 2, column 1 \(byte 144\): NaN is not a finite number/,
    ],
    ['neg.npy', npyBytes('<i4', [2, 2], Int32Array.from([1, 2, 3, -4])), 'npy', 'rows', /row 2, column 2 \(byte 140\): -4 is negative/],
    [
      'huge.npy',
      npyBytes('<u8', [1, 2], BigUint64Array.from([1n, 2n ** 64n - 1n])),
      'npy',
      'columns',
      /row 1, column 2 \(byte 136\): the integer 18446744073709551615 has no exact float64 value/,
    ],
    [
      'order.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 3\n1 2 1\n1 3 1\n2 1 1\n',
      'mtx',
      'columns',
      /line 5: an entry of column 1 after column 3: .*grouped by sample \(column\) in increasing order/,
    ],
    [
      'repeat.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 2\n1 2 1\n1 2 5\n',
      'mtx',
      'columns',
      /line 4: a second entry at row 1, column 2/,
    ],
    [
      'range.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 1\n3 1 1\n',
      'mtx',
      'columns',
      /line 3: row "3" is not an integer in \[1, 2\]/,
    ],
    ['neg.mtx', '%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 -0.5\n', 'mtx', 'columns', /line 3: -0.5 is negative/],
    ['int.mtx', '%%MatrixMarket matrix coordinate integer general\n2 3 1\n1 1 0.5\n', 'mtx', 'columns', /line 3: "0.5" is not an integer/],
    [
      'hex.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 0x10\n',
      'mtx',
      'columns',
      /line 3: "0x10" is not a finite number/,
    ],
    [
      'more.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 1\n1 1 1\n1 2 1\n',
      'mtx',
      'columns',
      /line 4: more entries than the 1 of the size line/,
    ],
    [
      'fewer.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 3 3\n1 1 1\n',
      'mtx',
      'columns',
      /ends after 1 of the 3 entries of its size line \(truncated\?\)/,
    ],
    [
      'array.mtx',
      '%%MatrixMarket matrix array real general\n2 1\n1\n2\n',
      'mtx',
      'columns',
      /line 1: only the coordinate format is read, not "array"/,
    ],
    [
      'sym.mtx',
      '%%MatrixMarket matrix coordinate real symmetric\n2 2 1\n1 1 1\n',
      'mtx',
      'columns',
      /line 1: only general matrices are read, not "symmetric"/,
    ],
    [
      'nnz.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 2 5\n',
      'mtx',
      'columns',
      /line 2: 5 entries in a 2×2 matrix \(at most 4\)/,
    ],
    [
      'side.mtx',
      '%%MatrixMarket matrix coordinate pattern general\n2147483648 2 0\n',
      'mtx',
      'columns',
      /line 2: 2147483648×2 has a side beyond the 2\^31 − 2 a matrix may have/,
    ],
    [
      'features.mtx',
      '%%MatrixMarket matrix coordinate real general\n% a\n16777217 2 0\n',
      'mtx',
      'columns',
      /line 3: 16777217 features \(its rows, with samples in columns\) are more than the 2\^24/,
    ],
    [
      'features-rows.mtx',
      '%%MatrixMarket matrix coordinate real general\n2 47483648 0\n',
      'mtx',
      'rows',
      /line 2: 47483648 features \(its columns, with samples in rows\) are more than the 2\^24/,
    ],
    [
      'size.mtx',
      '%%MatrixMarket matrix coordinate real general\n% c\n2 2\n',
      'mtx',
      'columns',
      /line 3: the size line must be three integers/,
    ],
    [
      'long.mtx',
      `%%MatrixMarket matrix coordinate real general\n2 2 1\n${'1'.repeat(1 << 20)}`,
      'mtx',
      'columns',
      /line 3 is longer than 1024 characters/,
    ],
    ['ragged.csv', '1,2\n3\n', 'csv', 'rows', /line 2 has 1 field, line 1 \(the first row\) has 2/],
    ['word.csv', '1,2\n3,x\n', 'csv', 'columns', /line 2, column 2: "x" is not a finite number/],
  ];
  for (const [name, content, format, samples, message] of cases) {
    it(name, async () => {
      const path = join(dir, name);
      writeFileSync(path, content);
      const outcome = await streamed(path, format, samples);
      expectNamedError(outcome, path, name);
      expect(((outcome as { error: Error }).error as Error).message).toMatch(message);
    });
  }
});
