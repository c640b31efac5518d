/**
 * The chunk readers of `factorize --online` (src/cli/stream/): each format gives the chunks of the matrix the
 * in-memory reader of `factorize` reads from the same file (CSV, TSV, .npy), or the matrix numpy/scipy wrote
 * (.mtx fixtures of scripts/make-stream-fixtures.py), for chunk sizes that do and do not divide the samples, with
 * samples in columns (the file holds V) and in rows (the file holds Vᵀ).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readMatrixFile } from '../../src/cli/matrix-io.js';
import type { ChunkSource, ColumnChunk, SampleAxis } from '../../src/cli/stream/column-chunks.js';
import { openChunks } from '../../src/cli/stream/open-chunks.js';
import { npyBytes } from '../helpers/npy.js';
import { denseChunks, transpose, type Dense } from '../helpers/chunks.js';

const FIXTURES = new URL('../fixtures/stream/', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nmfkit-chunks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The K×b chunks of V (K×N) for chunk size `size`. */
function expectedChunks(V: Dense, size: number): Dense[] {
  const out: Dense[] = [];
  for (let s0 = 0; s0 < V.cols; s0 += size) {
    const b = Math.min(size, V.cols - s0);
    const data = new Float64Array(V.rows * b);
    for (let k = 0; k < V.rows; k++) for (let j = 0; j < b; j++) data[k * b + j] = V.data[k * V.cols + s0 + j]!;
    out.push({ rows: V.rows, cols: b, data });
  }
  return out;
}

async function inMemory(path: string, format: 'csv' | 'tsv' | 'npy', samples: SampleAxis): Promise<Dense> {
  const { matrix } = await readMatrixFile(path, format);
  return samples === 'columns' ? matrix : transpose(matrix);
}

async function check(source: ChunkSource, V: Dense): Promise<void> {
  expect([source.features, source.samples ?? V.cols]).toEqual([V.rows, V.cols]);
  for (const size of [1, 4, V.cols, V.cols + 5]) {
    expect(await denseChunks(source, size), `chunks of ${size}`).toEqual(expectedChunks(V, size));
    // A second pass reads the same chunks (the H pass of --online reads the file again).
    expect(await denseChunks(source, size), `second pass, chunks of ${size}`).toEqual(expectedChunks(V, size));
  }
}

/** A 7×23 V with zeros, exactly representable in float32 and as text. */
const V: Dense = (() => {
  const data = new Float64Array(7 * 23);
  let seed = 3;
  for (let k = 0; k < data.length; k++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    data[k] = seed % 3 === 0 ? 0 : (seed % 1000) / 8;
  }
  return { rows: 7, cols: 23, data };
})();

function text(M: Dense, delimiter: string): string {
  return (
    Array.from({ length: M.rows }, (_, i) => Array.from(M.data.subarray(i * M.cols, (i + 1) * M.cols)).join(delimiter)).join('\n') + '\n'
  );
}

function fortran(M: Dense): Float64Array {
  const out = new Float64Array(M.data.length);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < M.cols; j++) out[j * M.rows + i] = M.data[i * M.cols + j]!;
  return out;
}

describe('chunks equal the in-memory reader', () => {
  for (const samples of ['columns', 'rows'] as const) {
    const F = samples === 'columns' ? V : transpose(V);
    for (const [format, delimiter] of [
      ['csv', ','],
      ['tsv', '\t'],
    ] as const) {
      it(`${format}, samples in ${samples}`, async () => {
        const path = join(dir, `v-${samples}.${format}`);
        writeFileSync(path, `# comment\n\n${text(F, delimiter)}`);
        await check(await openChunks(path, format, { samples }), await inMemory(path, format, samples));
        expect(await inMemory(path, format, samples)).toEqual(V);
      });
    }
    const layouts = [
      ['<f8', Float64Array.from(F.data), false],
      ['<f8', fortran(F), true],
      ['<f4', Float32Array.from(F.data), false],
      ['<f4', Float32Array.from(fortran(F)), true],
      ['<u2', Uint16Array.from(F.data, Math.round), false],
      ['<i8', BigInt64Array.from(fortran(F), (x) => BigInt(Math.round(x))), true],
    ] as const;
    for (const [descr, data, isFortran] of layouts) {
      it(`npy ${descr} ${isFortran ? 'Fortran' : 'C'} order, samples in ${samples}`, async () => {
        const path = join(dir, `v-${samples}-${descr.slice(1)}-${isFortran ? 'f' : 'c'}.npy`);
        writeFileSync(path, npyBytes(descr, [F.rows, F.cols], data, isFortran));
        await check(await openChunks(path, 'npy', { samples }), await inMemory(path, 'npy', samples));
      });
    }
  }

  it('the numpy fixtures, C and Fortran order, and int16 Vᵀ', async () => {
    const v = await inMemory(join(FIXTURES, 'v.npy'), 'npy', 'columns');
    await check(await openChunks(join(FIXTURES, 'v.npy'), 'npy', { samples: 'columns' }), v);
    await check(await openChunks(join(FIXTURES, 'v-fortran.npy'), 'npy', { samples: 'columns' }), v);
    await check(await openChunks(join(FIXTURES, 'v.csv'), 'csv', { samples: 'columns' }), v);
    const vt = await inMemory(join(FIXTURES, 'vt-int16.npy'), 'npy', 'rows');
    await check(await openChunks(join(FIXTURES, 'vt-int16.npy'), 'npy', { samples: 'rows' }), vt);
  });

  it('Matrix Market files written by scipy: real, pattern, integer with samples in rows', async () => {
    const v = await inMemory(join(FIXTURES, 'v.npy'), 'npy', 'columns');
    await check(await openChunks(join(FIXTURES, 'v.mtx'), 'mtx', { samples: 'columns' }), v);
    const pattern = { ...v, data: v.data.map((x) => (x === 0 ? 0 : 1)) };
    await check(await openChunks(join(FIXTURES, 'v-pattern.mtx'), 'mtx', { samples: 'columns' }), pattern);
    const vt = await inMemory(join(FIXTURES, 'vt-int16.npy'), 'npy', 'rows');
    await check(await openChunks(join(FIXTURES, 'vt-integer.mtx'), 'mtx', { samples: 'rows' }), vt);
  });

  it('Matrix Market: CSR chunks with empty samples and empty chunks, a file without a final line break', async () => {
    // Samples 3 to 9 of a 2×12 matrix hold nothing: chunks of 2 include wholly empty ones.
    const path = join(dir, 'gaps.mtx');
    writeFileSync(path, '%%MatrixMarket matrix coordinate real general\n% note\n2 12 4\n2 1 1.5\n1 2 2\n2 2 3e0\n1 10 .25');
    const source = await openChunks(path, 'mtx', { samples: 'columns' });
    const dense = new Float64Array(24);
    [dense[12], dense[1], dense[13], dense[9]] = [1.5, 2, 3, 0.25];
    await check(source, { rows: 2, cols: 12, data: dense });
    const chunks = [];
    for await (const chunk of source.chunks(5)) chunks.push(chunk);
    expect(chunks[0]).toMatchObject({
      format: 'csr',
      rows: 2,
      cols: 5,
      indptr: Int32Array.from([0, 1, 3]),
      indices: Int32Array.from([1, 0, 1]),
    });
    expect(readFileSync(path, 'latin1').endsWith('.25')).toBe(true);
  });

  it('Matrix Market: 2^24 features, the most a chunk holds, with entries in the first and last rows', async () => {
    const K = 2 ** 24;
    const path = join(dir, 'wide.mtx');
    writeFileSync(path, `%%MatrixMarket matrix coordinate real general\n3 ${K} 4\n1 1 1\n1 ${K} 2\n3 2 3\n3 ${K} 4\n`);
    const source = await openChunks(path, 'mtx', { samples: 'rows' });
    expect([source.features, source.samples]).toEqual([K, 3]);
    const chunks = [];
    for await (const chunk of source.chunks(2)) chunks.push(chunk);
    const rows = chunks.map((chunk) => {
      if (!('format' in chunk)) throw new Error('a Matrix Market chunk is CSR');
      const { indptr, indices, data } = chunk as Extract<ColumnChunk, { format: 'csr' }>;
      expect([indptr.length, indptr[0]]).toEqual([K + 1, 0]);
      const nonEmpty = [0, 1, K - 1].map((k) => [k, Array.from(indices.subarray(indptr[k]!, indptr[k + 1]!))]);
      // Every row between the first two and the last holds nothing.
      expect(indptr[K - 1]).toBe(indptr[2]);
      return { cols: chunk.cols, nonEmpty, data: Array.from(data) };
    });
    expect(rows).toEqual([
      {
        cols: 2,
        nonEmpty: [
          [0, [0]],
          [1, []],
          [K - 1, [0]],
        ],
        data: [1, 2],
      },
      {
        cols: 1,
        nonEmpty: [
          [0, []],
          [1, [0]],
          [K - 1, [0]],
        ],
        data: [3, 4],
      },
    ]);
  });
});
