/**
 * The chunk readers hold one chunk, not the file: a generated file of a few hundred MB is read whole while the
 * process's resident memory grows, over the second half of the file, by less than a fifth of the file (no
 * timing asserted). Each file is written a block
 * at a time too.
 */
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openChunks, type StreamFormat } from '../../src/cli/stream/open-chunks.js';
import { npyBytes } from '../helpers/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'nmfkit-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MB = 2 ** 20;
const K = 64;

/** Writes `blocks` pieces made by `block(i)` to `path`. */
function writeBlocks(path: string, head: Uint8Array | string, blocks: number, block: (i: number) => Uint8Array | string): number {
  const fd = openSync(path, 'w');
  try {
    const write = (bytes: Uint8Array | string): number => (typeof bytes === 'string' ? writeSync(fd, bytes) : writeSync(fd, bytes));
    write(head);
    for (let i = 0; i < blocks; i++) write(block(i));
  } finally {
    closeSync(fd);
  }
  return statSync(path).size;
}

/**
 * Reads every chunk of a file of `samples` samples; returns the largest growth of the resident set over the second
 * half of the file (the heap's own warm-up in the first half is not the reader's; a reader that kept what it read
 * would grow by a share of the half file).
 */
async function readAll(path: string, format: StreamFormat, axis: 'rows' | 'columns', samples: number): Promise<number> {
  let base = Infinity;
  let peak = 0;
  let count = 0;
  const source = await openChunks(path, format, { samples: axis });
  for await (const chunk of source.chunks(1024)) {
    count += chunk.cols;
    const rss = process.memoryUsage().rss;
    if (base === Infinity && count >= samples / 2) base = rss;
    peak = Math.max(peak, rss);
  }
  expect(count).toBe(samples);
  return peak - base;
}

describe('memory stays bounded by a chunk', () => {
  it('a 320 MB .npy (C order, samples in columns: one positioned read per feature and chunk)', async () => {
    const N = 655_360;
    const path = join(dir, 'big.npy');
    const header = npyBytes('<f8', [K, N], new Float64Array(0));
    const row = new Float64Array(N).map((_, j) => (j % 17) / 4);
    const size = writeBlocks(path, header, K, () => new Uint8Array(row.buffer));
    expect(size).toBeGreaterThan(320 * MB);
    const growth = await readAll(path, 'npy', 'columns', N);
    expect(growth, `growth ${growth} of a ${size}-byte file`).toBeLessThan(size / 5);
  }, 600_000);

  it('a 160 MB CSV with samples in rows', async () => {
    const line = Array.from({ length: K }, (_, k) => ((k * 37) % 101) / 8).join(',') + '\n';
    const lines = Math.ceil((160 * MB) / line.length);
    const path = join(dir, 'big.csv');
    const block = line.repeat(1000);
    const size = writeBlocks(path, '', Math.ceil(lines / 1000), () => block);
    const growth = await readAll(path, 'csv', 'rows', Math.ceil(lines / 1000) * 1000);
    expect(growth, `growth ${growth} of a ${size}-byte file`).toBeLessThan(size / 5);
  }, 600_000);

  it('a 160 MB Matrix Market file, entries by column', async () => {
    const perSample = 8;
    const lineOf = (j: number, e: number): string => `${1 + ((e * 7 + j) % K)} ${j + 1} ${(e + 1) / 4}\n`;
    const sampleLines = (j: number): string => Array.from({ length: perSample }, (_, e) => lineOf(j, e)).join('');
    // Lines of about 14 bytes: the sample count that makes 160 MB.
    const N = Math.ceil((160 * MB) / (perSample * 14));
    const path = join(dir, 'big.mtx');
    const header = `%%MatrixMarket matrix coordinate real general\n${K} ${N} ${N * perSample}\n`;
    const size = writeBlocks(path, header, Math.ceil(N / 1000), (b) => {
      let text = '';
      for (let j = b * 1000; j < Math.min(N, (b + 1) * 1000); j++) text += sampleLines(j);
      return text;
    });
    expect(size).toBeGreaterThan(150 * MB);
    const growth = await readAll(path, 'mtx', 'columns', N);
    expect(growth, `growth ${growth} of a ${size}-byte file`).toBeLessThan(size / 5);
  }, 600_000);
});
