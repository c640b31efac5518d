/**
 * H written a block of columns at a time (src/cli/stream/column-writer.ts) is the file `factorize` writes for the
 * whole matrix at once: byte for byte in CSV, TSV and both JSON forms, the same values in .npy (written in Fortran
 * order, float64 or float32). A wrong column count is refused; an aborted writer leaves nothing behind.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatMatrix, readMatrixFile, type MatrixFormat, type WriteOptions } from '../../src/cli/matrix-io.js';
import { columnWriter } from '../../src/cli/stream/column-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'nmfkit-column-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const [R, N] = [3, 17];
const H = { rows: R, cols: N, data: Float64Array.from({ length: R * N }, (_, k) => (k % 5 === 0 ? 0 : Math.sqrt(k) / 7)) };

/** Columns s0 … s1 − 1 of H. */
function columns(s0: number, s1: number): { rows: number; cols: number; data: Float64Array } {
  const data = new Float64Array(R * (s1 - s0));
  for (let r = 0; r < R; r++) data.set(H.data.subarray(r * N + s0, r * N + s1), r * (s1 - s0));
  return { rows: R, cols: s1 - s0, data };
}

async function writeInBlocks(path: string, format: MatrixFormat, options: WriteOptions, size: number): Promise<void> {
  const writer = await columnWriter(path, format, R, N, options);
  for (let s0 = 0; s0 < N; s0 += size) await writer.append(columns(s0, Math.min(N, s0 + size)));
  await writer.close();
}

describe('column writer', () => {
  const text: [MatrixFormat, WriteOptions][] = [
    ['csv', {}],
    ['tsv', {}],
    ['json', { jsonForm: 'rows' }],
    ['json', { jsonForm: 'shaped' }],
  ];
  for (const [format, options] of text) {
    it(`${format} ${options.jsonForm ?? ''}: the bytes of the whole-matrix writer`, async () => {
      for (const size of [1, 4, N]) {
        const path = join(dir, `H-${size}-${options.jsonForm ?? ''}.${format}`);
        await writeInBlocks(path, format, options, size);
        expect(readFileSync(path, 'utf8')).toBe(formatMatrix(H, format, options).toString('utf8'));
      }
      // The spool folders are gone.
      expect(readdirSync(dir).filter((name) => name.startsWith('.nmfkit-spool-'))).toEqual([]);
    });
  }

  for (const dtype of ['f8', 'f4'] as const) {
    it(`npy ${dtype}: the values of the whole-matrix writer`, async () => {
      const path = join(dir, `H-${dtype}.npy`);
      await writeInBlocks(path, 'npy', { dtype }, 5);
      const read = await readMatrixFile(path, 'npy');
      expect(read.dtype).toBe(dtype);
      expect(read.matrix).toEqual({ ...H, data: dtype === 'f4' ? Float64Array.from(Float32Array.from(H.data)) : H.data });
    });
  }

  it('too few columns is an error naming the file; abort removes what was written', async () => {
    for (const format of ['csv', 'npy'] as const) {
      const path = join(dir, `short.${format}`);
      const writer = await columnWriter(path, format, R, N);
      await writer.append(columns(0, 4));
      await expect(writer.close()).rejects.toThrow(`cannot write ${path}: 4 columns were given, the matrix has ${N}`);
      // What factorize --online does after a failed close.
      await writer.abort();
      expect(readdirSync(dir).filter((name) => name.startsWith('short') || name.startsWith('.nmfkit-spool-'))).toEqual([]);
      const aborted = join(dir, `aborted.${format}`);
      const other = await columnWriter(aborted, format, R, N);
      await other.append(columns(0, 4));
      await other.abort();
      expect(readdirSync(dir).filter((name) => name.startsWith('aborted') || name.startsWith('.nmfkit-spool-'))).toEqual([]);
    }
  });
});
