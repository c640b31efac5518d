/**
 * `nmfkit factorize --online`'s own work, with nmfkit's `nmfStream` replaced by a stand-in that keeps W fixed at a
 * known dictionary (the real online fit is tested in cli-online.test.ts): the chunks it is given (sizes, epochs,
 * the flags passed on), W written as the model has it, and H — each chunk's transform written as it comes — equal
 * to the transform of the whole V at once, in .npy, CSV with samples in rows, and from a Matrix Market file. Errors:
 * a corrupt line met during the fit is exit 1 naming it; flags that do not go with --online are exit 2.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nmf, type Matrix } from 'nmfkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readMatrixFile } from '../src/cli/matrix-io.js';
import type { ColumnChunk } from '../src/cli/stream/column-chunks.js';
import { cli } from './helpers/cli-run.js';
import { dense, transpose, type Dense } from './helpers/chunks.js';
import { npyBytes } from './helpers/npy.js';

const stand = vi.hoisted(() => ({
  W: { rows: 5, cols: 2, data: Float64Array.from([1, 0, 0.5, 0.5, 0, 1, 2, 1, 1, 3]) },
  received: [] as { options: Record<string, unknown>; sizes: number[] }[],
}));

/** H of V with W fixed: multiplicative updates from H = 1, a fixed number of them (columns are independent). */
async function transformWithFixedW(V: Dense): Promise<Matrix> {
  const H = { rows: 2, cols: V.cols, data: new Float64Array(2 * V.cols).fill(1) };
  const result = await nmf(V, { rank: 2, W: stand.W, H, updateW: false, maxIter: 40, stop: 'none' });
  return result.H as Matrix;
}

vi.mock('nmfkit', async (importOriginal) => {
  const core = await importOriginal<Record<string, unknown>>();
  async function* nmfStream(source: AsyncIterable<ColumnChunk>, options: Record<string, unknown>) {
    const call = { options, sizes: [] as number[] };
    stand.received.push(call);
    const model = {
      components: stand.W,
      transformAsync: (chunk: ColumnChunk) => transformWithFixedW(dense(chunk)),
    };
    let samples = 0;
    for await (const chunk of source) {
      call.sizes.push(chunk.cols);
      samples += chunk.cols;
      yield { chunk: call.sizes.length - 1, samples, cost: 1 / call.sizes.length, model };
    }
  }
  return { ...core, nmfStream };
});

const dir = mkdtempSync(join(tmpdir(), 'nmfkit-online-passes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A 5×13 V = W·H₀ with zeros in H₀. */
const V: Dense = (() => {
  const N = 13;
  const data = new Float64Array(5 * N);
  for (let k = 0; k < 5; k++) {
    for (let j = 0; j < N; j++) data[k * N + j] = stand.W.data[2 * k]! * (j % 3) + stand.W.data[2 * k + 1]! * ((j * 5) % 7) * 0.25;
  }
  return { rows: 5, cols: N, data };
})();

async function readBack(path: string): Promise<Dense> {
  const format = path.endsWith('.npy') ? 'npy' : 'csv';
  return (await readMatrixFile(path, format)).matrix;
}

function expectClose(actual: Dense, expected: Matrix): void {
  expect([actual.rows, actual.cols]).toEqual([expected.rows, expected.cols]);
  actual.data.forEach((x, k) => expect(x).toBeCloseTo(expected.data[k]!, 12));
}

describe('factorize --online: the passes over the file', () => {
  it('.npy: chunks of --batch-size over --epochs, the flags passed on, W and H written', async () => {
    stand.received.length = 0;
    const input = join(dir, 'v.npy');
    writeFileSync(input, npyBytes('<f8', [V.rows, V.cols], V.data));
    const out = join(dir, 'out-npy');
    const run = await cli([
      'factorize',
      input,
      '--online',
      '-r',
      '2',
      '--batch-size',
      '4',
      '--epochs',
      '2',
      '--forget-factor',
      '0.5',
      '--seed',
      '3',
      '-o',
      out,
      '--json',
    ]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(stand.received).toHaveLength(1);
    const { options, sizes } = stand.received[0]!;
    expect(sizes).toEqual([4, 4, 4, 1, 4, 4, 4, 1]);
    expect(options).toMatchObject({ rank: 2, batchSize: 4, forgetFactor: 0.5, seed: 3 });
    expect(options.signal).toBeInstanceOf(AbortSignal);
    const summary = JSON.parse(run.out) as { online: Record<string, number>; input: Record<string, unknown> };
    expect(summary.online).toEqual({ epochs: 2, chunks: 8, samplesSeen: 26, lastCost: 1 / 8 });
    expect(summary.input).toEqual({ path: input, format: 'npy', rows: 5, cols: 13, samples: 'columns' });
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(summary);
    expect(await readBack(join(out, 'W.npy'))).toEqual(stand.W);
    expectClose(await readBack(join(out, 'H.npy')), await transformWithFixedW(V));
  });

  it('CSV with samples in rows: H (rank × samples) as one transform of all of V', async () => {
    const input = join(dir, 'vt.csv');
    const Vt = transpose(V);
    writeFileSync(
      input,
      Array.from({ length: Vt.rows }, (_, i) => Array.from(Vt.data.subarray(i * Vt.cols, (i + 1) * Vt.cols)).join(',')).join('\n'),
    );
    const out = join(dir, 'out-csv');
    const run = await cli(['factorize', input, '--online', '--samples', 'rows', '-r', '2', '--batch-size', '5', '-o', out, '-q']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(stand.received.at(-1)!.sizes).toEqual([5, 5, 3]);
    expectClose(await readBack(join(out, 'H.csv')), await transformWithFixedW(V));
  });

  it('Matrix Market: CSR chunks, W and H as CSV', async () => {
    const input = join(dir, 'v.mtx');
    const entries: string[] = [];
    for (let j = 0; j < V.cols; j++)
      for (let k = 0; k < V.rows; k++) if (V.data[k * V.cols + j]! !== 0) entries.push(`${k + 1} ${j + 1} ${V.data[k * V.cols + j]}`);
    writeFileSync(input, `%%MatrixMarket matrix coordinate real general\n${V.rows} ${V.cols} ${entries.length}\n${entries.join('\n')}\n`);
    const out = join(dir, 'out-mtx');
    const run = await cli(['factorize', input, '--online', '-r', '2', '--batch-size', '6', '-o', out, '-q']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(await readBack(join(out, 'W.csv'))).toEqual(stand.W);
    expectClose(await readBack(join(out, 'H.csv')), await transformWithFixedW(V));
  });

  it('a bar of the samples on a terminal, none when piped', async () => {
    const input = join(dir, 'v.npy');
    const tty = await cli(['factorize', input, '--online', '-r', '2', '--batch-size', '4', '-o', join(dir, 'out-tty')], true);
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/factorize --online \(1 epoch\) \[[^\]]*\] \d+\/13 samples \| chunk \d \| cost /);
    expect(tty.err).toMatch(/H \(W fixed\)/);
    const piped = await cli(['factorize', input, '--online', '-r', '2', '--batch-size', '4', '-o', join(dir, 'out-piped')]);
    expect([piped.code, piped.err]).toEqual([0, '']);
    expect(piped.out).toMatch(
      /^.*v\.npy: npy, 5 features × 13 samples \(samples in columns\)\nrank 2, online: 4 chunks over 1 epoch, cost of the last chunk 0\.250000, [\d.]+ s\nwrote /,
    );
  });

  it('a corrupt line met during the fit is exit 1 naming it; no H is left behind', async () => {
    const input = join(dir, 'bad.mtx');
    writeFileSync(input, '%%MatrixMarket matrix coordinate real general\n5 13 3\n1 1 1\n2 5 1\n3 2 1\n');
    const out = join(dir, 'out-bad');
    const run = await cli(['factorize', input, '--online', '-r', '2', '--batch-size', '2', '-o', out, '-q']);
    expect(run.code).toBe(1);
    expect(run.err).toBe(
      `nmfkit: error: ${input}: line 5: an entry of column 2 after column 5: --online reads entries grouped by sample (column) in increasing order; sort the file by column\n`,
    );
  });

  it('usage errors: batch-only flags, --online flags alone, no rank; a format it cannot stream', async () => {
    const input = join(dir, 'v.npy');
    const cases: [string[], number, string][] = [
      [['--online', '-r', '2', '--w', input], 2, '--w is not taken with --online'],
      [['--online', '-r', '2', '--keep-partial'], 2, '--keep-partial is not taken with --online'],
      [['-r', '2', '--batch-size', '8'], 2, '--batch-size is taken with --online only'],
      [['-r', '2', '--samples', 'rows'], 2, '--samples is taken with --online only'],
      [['--online'], 2, "required option '-r, --rank <R>' not specified"],
    ];
    for (const [args, code, message] of cases) {
      const run = await cli(['factorize', input, ...args, '-o', join(dir, 'unused'), '-q']);
      expect([run.code, run.err], args.join(' ')).toEqual([code, `nmfkit: error: ${message}\n`]);
    }
    const json = join(dir, 'v.json');
    writeFileSync(json, '[[1]]');
    const run = await cli(['factorize', json, '--online', '-r', '1', '-q']);
    expect([run.code, run.err]).toEqual([
      1,
      `nmfkit: error: ${json}: --online reads .csv, .tsv, .npy or .mtx files (one chunk of samples at a time)\n`,
    ]);
  });
});
