/**
 * `nmfkit factorize --online` with nmfkit's own `nmfStream`: on a planted low-rank .npy file (V = W·H plus a little
 * noise, samples in columns) and the same data as CSV with samples in rows, the online fit's W and its H (the
 * second pass) reconstruct V nearly as well as the batch fit of `factorize` does: within 2.5 times its residual
 * (the online multiplicative updates converge more slowly: 10 epochs of 64-sample chunks reach about 1.7 % of ‖V‖
 * where the batch fit reaches 0.9 %; a dictionary that has not learned the planted one leaves over 15 %). A Matrix
 * Market copy takes the CSR path.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** The online fit's settings: 64-sample chunks, 10 epochs, NNDSVDa's start from the first chunk. */
const ONLINE = ['-r', '4', '--seed', '0', '--init', 'nndsvda', '--batch-size', '64', '--epochs', '10'];

describe('factorize --online with nmfStream', () => {
  const V = planted(30, 4000, 4);
  const npy = join(dir, 'v.npy');
  let batchError: Promise<number> | undefined;
  /** ‖V − W·H‖_F of factorize's batch fit of the .npy copy (run once). */
  const batchResidual = (): Promise<number> =>
    (batchError ??= (async () => {
      writeFileSync(npy, npyBytes('<f8', [V.rows, V.cols], V.data));
      const batch = await cli([
        'factorize',
        npy,
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
      return residual(V, join(dir, 'batch'), 'npy');
    })());

  it('W and H of a planted low-rank file reconstruct V nearly as well as the batch fit', async () => {
    const bound = 2.5 * (await batchResidual());
    const online = await cli(['factorize', npy, '--online', ...ONLINE, '-o', join(dir, 'online'), '--json']);
    expect(online.code, online.err).toBe(0);
    const summary = JSON.parse(online.out) as { online: { chunks: number; samplesSeen: number } };
    expect(summary.online).toMatchObject({ chunks: 10 * Math.ceil(4000 / 64), samplesSeen: 10 * 4000 });
    expect(JSON.parse(readFileSync(join(dir, 'online', 'summary.json'), 'utf8'))).toEqual(summary);
    expect(await residual(V, join(dir, 'online'), 'npy')).toBeLessThan(bound);
  });

  it('the same data as CSV with one sample per line', async () => {
    const bound = 2.5 * (await batchResidual());
    const Vt = transpose(V);
    const input = join(dir, 'vt.csv');
    writeFileSync(
      input,
      Array.from({ length: Vt.rows }, (_, i) => Array.from(Vt.data.subarray(i * Vt.cols, (i + 1) * Vt.cols)).join(',')).join('\n'),
    );
    const online = await cli(['factorize', input, '--online', '--samples', 'rows', ...ONLINE, '-o', join(dir, 'online-csv'), '-q']);
    expect(online.code, online.err).toBe(0);
    expect(await residual(V, join(dir, 'online-csv'), 'csv')).toBeLessThan(bound);
  });

  it('the same data as a Matrix Market file: CSR chunks through the fit and the H pass', async () => {
    const bound = 2.5 * (await batchResidual());
    const input = join(dir, 'v.mtx');
    const lines: string[] = [];
    for (let n = 0; n < V.cols; n++) for (let k = 0; k < V.rows; k++) lines.push(`${k + 1} ${n + 1} ${V.data[k * V.cols + n]}`);
    writeFileSync(input, `%%MatrixMarket matrix coordinate real general\n${V.rows} ${V.cols} ${lines.length}\n${lines.join('\n')}\n`);
    const online = await cli(['factorize', input, '--online', ...ONLINE, '-o', join(dir, 'online-mtx'), '-q']);
    expect(online.code, online.err).toBe(0);
    expect(await residual(V, join(dir, 'online-mtx'), 'csv')).toBeLessThan(bound);
  });

  it('a corrupt line met during the fit is exit 1 naming it', async () => {
    const input = join(dir, 'bad.mtx');
    writeFileSync(input, '%%MatrixMarket matrix coordinate real general\n3 9 3\n1 1 1\n2 5 1\n3 2 1\n');
    const run = await cli(['factorize', input, '--online', '-r', '1', '--batch-size', '2', '-o', join(dir, 'bad'), '-q']);
    expect([run.code, run.err]).toEqual([
      1,
      `nmfkit: error: ${input}: line 5: an entry of column 2 after column 5: --online reads entries grouped by sample (column) in increasing order; sort the file by column\n`,
    ]);
  });
});
