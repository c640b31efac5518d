/**
 * `nmfkit factorize --online` with nmfkit's own `nmfStream`: on a planted low-rank .npy file (V = W·H plus a little
 * noise, samples in columns) and the same data as CSV with samples in rows, the online fit's W and its H (the
 * second pass) reconstruct V about as well as the batch fit of `factorize` does. Runs where the installed nmfkit
 * has nmfStream.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from 'nmfkit';
import { afterAll, describe, expect, it } from 'vitest';
import { readMatrixFile } from '../src/cli/matrix-io.js';
import { cli } from './helpers/cli-run.js';
import { transpose, type Dense } from './helpers/chunks.js';
import { npyBytes } from './helpers/npy.js';

const dir = mkdtempSync(join(tmpdir(), 'nmfkit-online-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A K×N V of rank R plus uniform noise of 1 % of its mean, from a fixed linear congruential sequence. */
function planted(K: number, N: number, R: number): Dense {
  let seed = 12345;
  const next = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const W = Float64Array.from({ length: K * R }, () => (next() < 0.3 ? 0 : next()));
  const H = Float64Array.from({ length: R * N }, () => (next() < 0.3 ? 0 : next()));
  const data = new Float64Array(K * N);
  for (let k = 0; k < K; k++)
    for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) data[k * N + n] = data[k * N + n]! + W[k * R + r]! * H[r * N + n]!;
  const mean = data.reduce((a, b) => a + b, 0) / data.length;
  return { rows: K, cols: N, data: data.map((x) => x + 0.01 * mean * next()) };
}

/** ‖V − W·H‖_F of the factors a run wrote. */
async function residual(V: Dense, out: string, ext: 'npy' | 'csv'): Promise<number> {
  const W = (await readMatrixFile(join(out, `W.${ext}`), ext)).matrix;
  const H = (await readMatrixFile(join(out, `H.${ext}`), ext)).matrix;
  expect([W.rows, W.cols, H.rows, H.cols]).toEqual([V.rows, 4, 4, V.cols]);
  let sum = 0;
  for (let k = 0; k < V.rows; k++) {
    for (let n = 0; n < V.cols; n++) {
      let x = 0;
      for (let r = 0; r < W.cols; r++) x += W.data[k * W.cols + r]! * H.data[r * V.cols + n]!;
      sum += (V.data[k * V.cols + n]! - x) ** 2;
    }
  }
  return Math.sqrt(sum);
}

describe.skipIf(typeof (core as Record<string, unknown>).nmfStream !== 'function')('factorize --online with nmfStream', () => {
  const V = planted(30, 4000, 4);
  const norm = Math.sqrt(V.data.reduce((a, x) => a + x * x, 0));

  it('W and H of a planted low-rank file reconstruct V nearly as well as the batch fit', async () => {
    const input = join(dir, 'v.npy');
    writeFileSync(input, npyBytes('<f8', [V.rows, V.cols], V.data));
    const batch = await cli([
      'factorize',
      input,
      '-r',
      '4',
      '--seed',
      '0',
      '--max-iter',
      '500',
      '--no-figures',
      '-o',
      join(dir, 'batch'),
      '-q',
    ]);
    expect(batch.code, batch.err).toBe(0);
    const online = await cli([
      'factorize',
      input,
      '--online',
      '-r',
      '4',
      '--seed',
      '0',
      '--batch-size',
      '256',
      '--epochs',
      '5',
      '-o',
      join(dir, 'online'),
      '--json',
    ]);
    expect(online.code, online.err).toBe(0);
    const summary = JSON.parse(online.out) as { online: { chunks: number; samplesSeen: number } };
    expect(summary.online).toMatchObject({ chunks: 5 * Math.ceil(4000 / 256), samplesSeen: 5 * 4000 });
    const [batchError, onlineError] = [await residual(V, join(dir, 'batch'), 'npy'), await residual(V, join(dir, 'online'), 'npy')];
    expect(onlineError / norm).toBeLessThan(1.1 * (batchError / norm) + 1e-3);
    expect(JSON.parse(readFileSync(join(dir, 'online', 'summary.json'), 'utf8'))).toEqual(summary);
  });

  it('the same data as CSV with one sample per line', async () => {
    const Vt = transpose(V);
    const input = join(dir, 'vt.csv');
    writeFileSync(
      input,
      Array.from({ length: Vt.rows }, (_, i) => Array.from(Vt.data.subarray(i * Vt.cols, (i + 1) * Vt.cols)).join(',')).join('\n'),
    );
    const batch = await cli([
      'factorize',
      join(dir, 'v.npy'),
      '-r',
      '4',
      '--seed',
      '0',
      '--max-iter',
      '500',
      '--no-figures',
      '-o',
      join(dir, 'batch2'),
      '-q',
    ]);
    expect(batch.code, batch.err).toBe(0);
    const online = await cli([
      'factorize',
      input,
      '--online',
      '--samples',
      'rows',
      '-r',
      '4',
      '--seed',
      '0',
      '--batch-size',
      '256',
      '--epochs',
      '5',
      '-o',
      join(dir, 'online-csv'),
      '-q',
    ]);
    expect(online.code, online.err).toBe(0);
    const [batchError, onlineError] = [await residual(V, join(dir, 'batch2'), 'npy'), await residual(V, join(dir, 'online-csv'), 'csv')];
    expect(onlineError / norm).toBeLessThan(1.1 * (batchError / norm) + 1e-3);
  });
});
