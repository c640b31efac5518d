/**
 * The edges of `nmfkit factorize`: one error prefix, messages built whole for their subject, exit codes by kind
 * (usage 2, bad input 1), rows and columns counted from 1 (CSV lines as an editor shows them), hints only where
 * they are true, --threads, initial or fixed factors (--w, --h, --fix-w, --fix-h) and a mask (--mask) read and
 * checked like V, integer .npy files, and a progress line or bar while a large input is read. The fits are
 * compared with nmfSync called directly with the same options (the command must hand the files over unchanged).
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { backendInfo, nmfSync, type Matrix } from 'nmfkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../src/cli/errors.js';
import { readMatrixFile } from '../src/cli/matrix-io.js';
import { encodeWav } from '../src/index.js';
import { cli } from './helpers/cli-run.js';
import { npyBytes } from './helpers/npy.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-edges-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const csvText = (rows: readonly (readonly number[])[]): string => rows.map((r) => r.join(',')).join('\n');

/** A CSV the command wrote, as a matrix. */
function readCsv(path: string): Matrix {
  const rows = readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').map(Number));
  return { rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) };
}

const V = [
  [1, 2, 3, 0.5],
  [4, 5, 6, 1],
  [0, 1, 0, 2],
  [7, 0.5, 2, 3],
  [2, 2, 1, 1],
];
const W0 = [
  [0.5, 1],
  [1, 0.25],
  [0.75, 0.5],
  [0.2, 0.9],
  [1, 1],
];
const H0 = [
  [1, 0.5, 0.25, 1],
  [0.3, 1, 0.6, 0.2],
];
const matrix = (rows: readonly (readonly number[])[]): Matrix => ({
  rows: rows.length,
  cols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});

const QUIET = ['--no-figures', '--quiet'];

async function fails(args: string[], code: number, message: RegExp): Promise<string> {
  const r = await cli(['factorize', ...args, ...QUIET, '--out', join(dir, 'out-fail')]);
  expect(r.code, r.err).toBe(code);
  expect(r.err).toMatch(/^nmfkit: error: /);
  expect(r.err).not.toMatch(/nmfkit: error: .*nmfkit: /);
  expect(r.err).toMatch(message);
  return r.err;
}

describe('one error prefix, messages built whole', () => {
  it("a WAV that is not one: '<path> is not a readable WAV file' (the subject kept)", async () => {
    const fake = file('fake.wav', 'RIFF1234not a wave');
    await fails(
      [fake, '--rank', '1'],
      1,
      new RegExp(`^nmfkit: error: ${fake.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a readable WAV file: `),
    );
  });

  it.each([
    [['--bogus'], /^nmfkit: error: unknown option '--bogus'/],
    [['--rank', 'x'], /^nmfkit: error: option '-r, --rank <R>' argument 'x' is invalid/],
  ])("commander's own usage errors %j carry the prefix too (never a plain 'error:')", async (flags, message) => {
    const r = await cli(['factorize', file('p.csv', '1,2\n'), ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(/^error:/m);
  });

  it("a library message that begins 'nmfkit: ' is not prefixed twice", async () => {
    // Entries near the top of float64 overflow the products: nmfkit's own 'nmfkit: the fit cannot be computed'.
    const huge = file('huge.csv', '1e308,1e308\n1e308,1e308\n');
    await fails([huge, '--rank', '1', '--seed', '1'], 1, /^nmfkit: error: \S*huge\.csv: the fit cannot be computed in float64/);
  });
});

describe('exit codes by kind', () => {
  const input = (): string => file('codes.csv', csvText(V));
  it.each([
    [['--loss', 'foo'], /--loss must be euclidean, kl, is or a number β, got "foo"/],
    [['--dtype', 'float16'], /Allowed choices are float64, float32/],
    [['--normalize', 'foo'], /Allowed choices are none, max, l1, l2/],
    [['--threads', '0'], /--threads must be an integer in \[1, 256\], got "0"/],
    [['--threads', '257'], /--threads must be an integer in \[1, 256\], got "257"/],
    [['--fix-w'], /--fix-w keeps the W of --w: give --w FILE/],
    [['--solver', 'hals', '--loss', 'kl'], /^nmfkit: error: --solver 'hals' is for the Euclidean loss only/],
    [['--restarts', '2', '--init', 'nndsvd'], /^nmfkit: error: --restarts = 2 needs an initialisation that uses the seed/],
  ])('usage: %j exits 2', async (flags, message) => {
    await fails([input(), '--rank', '2', ...flags], 2, message);
  });

  it('a missing --rank without --w or --h is a usage error', async () => {
    await fails([input()], 2, /required option '-r, --rank <R>' not specified \(it may be left out when --w or --h gives it\)/);
  });

  it('a value that does not suit the data is bad input (exit 1), naming the file', async () => {
    await fails([input(), '--rank', '5', '--init', 'nndsvd'], 1, /codes\.csv: --init 'nndsvd' needs rank ≤ min\(rows, cols\) of V = 4/);
  });
});

describe('rows and columns from 1, CSV lines as in the file', () => {
  it.each([
    [
      'CSV, after a comment and a blank line',
      'neg.csv',
      '# V\n1,2\n\n3,-4\n',
      /neg\.csv: line 4, column 2: -4 is negative \(every entry of V must be ≥ 0\)/,
    ],
    ['TSV', 'neg.tsv', '1\t2\n3\t-4\n', /neg\.tsv: line 2, column 2: -4 is negative/],
    ['JSON rows', 'neg.json', '[[1, 2], [3, -4]]', /neg\.json: row 2, column 2: -4 is negative/],
    [
      'JSON shaped',
      'neg-shaped.json',
      '{"rows": 2, "cols": 2, "data": [1, 2, 3, -4]}',
      /neg-shaped\.json: "data" entry 4 \(row 2, column 2\): -4 is negative/,
    ],
    ['JSON, not a number', 'text.json', '[[1, 2], [3, "x"]]', /text\.json: row 2, column 2: "x" is not a number/],
    ['JSON, a short row', 'short.json', '[[1, 2], [3]]', /short\.json: row 2 has 1 entries, row 1 has 2/],
  ])('%s', async (_name, name, content, message) => {
    await fails([file(name, content), '--rank', '1'], 1, message);
  });

  it('.npy: row and column from 1', async () => {
    const npy = file('neg.npy', npyBytes('<f8', [2, 2], Float64Array.from([1, 2, 3, -4])));
    await fails([npy, '--rank', '1'], 1, /neg\.npy: row 2, column 2: -4 is negative/);
  });

  it("a V entry nmf refuses is placed in the file as the readers place theirs (not nmf's V.data[k], row from 0)", async () => {
    // Itakura–Saito needs V > 0: nmf names the zero as entry 5 (row 1, column 2); in the file it is line 4, column 3.
    const zero = file('zero.csv', '# V\n1,2,3\n\n4,5,0\n');
    const err = await fails([zero, '--rank', '1', '--loss', 'is'], 1, /zero\.csv: V has a zero at \S*zero\.csv line 4, column 3, where/);
    expect(err).not.toMatch(/row 1|entry 5/);
  });
});

describe('CSV hints only where they are true', () => {
  it('a header row above numbers is called one', async () => {
    await fails(
      [file('header.csv', 'a,b\n1,2\n'), '--rank', '1'],
      1,
      /header\.csv: line 1, column 1: "a" is not a finite number \(the first row looks like a header/,
    );
  });

  it.each([
    ['one line of words', 'words.csv', 'a,b\n', /words\.csv: line 1, column 1: "a" is not a finite number$/m],
    [
      'a ;-delimited file',
      'semi.csv',
      '1;2;3\n4;5;6\n',
      /semi\.csv: line 1, column 1: "1;2;3" is not a number: it looks like numbers separated by ";", but this file's fields are separated by commas/,
    ],
    [
      'a decimal comma',
      'decimal.csv',
      '1,5;2,5\n3,5;4,5\n',
      /decimal\.csv: line 1, column 2: "5;2" is not a number: it looks like numbers separated by ";"/,
    ],
    [
      'a tab-delimited .csv',
      'tabs.csv',
      '1\t2\n3\t4\n',
      /tabs\.csv: line 1, column 1: "1\\t2" is not a number: it looks like numbers separated by a tab/,
    ],
    [
      'trailing commas',
      'trailing.csv',
      '1,2,3,\n4,5,6,\n',
      /trailing\.csv: line 1, column 4: the field is empty \(a delimiter at the end of the line\?\)/,
    ],
    ['an empty field inside a row', 'hole.csv', '1,,3\n4,5,6\n', /hole\.csv: line 1, column 2: the field is empty$/m],
    [
      'NaN without a mask',
      'nan.csv',
      '1,NaN\n3,4\n',
      /nan\.csv: line 1, column 2: "NaN" is not a finite number \(NaN marks a missing entry only with --mask/,
    ],
  ])('no header hint for %s', async (_name, name, content, message) => {
    const err = await fails([file(name, content), '--rank', '1'], 1, message);
    expect(err).not.toMatch(/header/);
  });

  it("ragged rows: the file, the line and both counts (not csv-parse's message)", async () => {
    const err = await fails(
      [file('ragged.csv', '# m\n1,2,3\n4,5\n'), '--rank', '1'],
      1,
      /ragged\.csv: line 3 has 2 fields, line 2 \(the first row\) has 3/,
    );
    expect(err).not.toMatch(/Invalid Record Length/);
  });
});

describe('--threads, --w, --h, --fix-w, --fix-h, --mask', () => {
  const fit = ['--seed', '3', '--max-iter', '40', '--json', ...QUIET];

  it('--threads is handed to nmf as threads; the factors do not depend on it', async () => {
    const input = file('threads.csv', csvText(V));
    const backend = backendInfo().native.loaded ? 'native' : 'wasm';
    const one = await cli(['factorize', input, '--rank', '2', '--threads', '1', '--backend', backend, ...fit, '--out', join(dir, 't1')]);
    const two = await cli(['factorize', input, '--rank', '2', '--threads', '2', '--backend', backend, ...fit, '--out', join(dir, 't2')]);
    expect(one.code, one.err).toBe(0);
    expect(two.code, two.err).toBe(0);
    expect(JSON.parse(two.out).options).toMatchObject({ threads: 2 });
    expect(readFileSync(join(dir, 't2', 'W.csv'), 'utf8')).toBe(readFileSync(join(dir, 't1', 'W.csv'), 'utf8'));
  });

  it('--w and --h are the initial factors: the fit is nmf(V, { W, H }) and the rank comes from them', async () => {
    const args = [file('v.csv', csvText(V)), '--w', file('w0.csv', csvText(W0)), '--h', file('h0.json', JSON.stringify(H0))];
    const r = await cli(['factorize', ...args, ...fit, '--out', join(dir, 'wh')]);
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.input).toMatchObject({ W: expect.stringMatching(/w0\.csv$/), H: expect.stringMatching(/h0\.json$/) });
    expect(summary.options.rank).toBe(2);
    const reference = nmfSync(matrix(V), { W: matrix(W0), H: matrix(H0), maxIter: 40 });
    expect(Array.from(readCsv(join(dir, 'wh', 'W.csv')).data)).toEqual(Array.from(reference.W.data));
    expect(Array.from(readCsv(join(dir, 'wh', 'H.csv')).data)).toEqual(Array.from(reference.H.data));
  });

  it('--fix-w keeps W as given and learns H (nmf updateW: false)', async () => {
    const args = [file('vf.csv', csvText(V)), '--w', file('wf.csv', csvText(W0)), '--fix-w'];
    const r = await cli(['factorize', ...args, ...fit, '--out', join(dir, 'fixw')]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).options).toMatchObject({ rank: 2, updateW: false });
    expect(Array.from(readCsv(join(dir, 'fixw', 'W.csv')).data)).toEqual(W0.flat());
    const reference = nmfSync(matrix(V), { W: matrix(W0), updateW: false, seed: 3, maxIter: 40 });
    expect(Array.from(readCsv(join(dir, 'fixw', 'H.csv')).data)).toEqual(Array.from(reference.H.data));
  });

  it('--fix-h keeps H as given and learns W', async () => {
    const args = [file('vh.csv', csvText(V)), '--h', file('hf.csv', csvText(H0)), '--fix-h'];
    const r = await cli(['factorize', ...args, ...fit, '--out', join(dir, 'fixh')]);
    expect(r.code, r.err).toBe(0);
    expect(Array.from(readCsv(join(dir, 'fixh', 'H.csv')).data)).toEqual(H0.flat());
  });

  it('--mask: NaN in V where the mask is 0, the fit is nmf(V, { mask })', async () => {
    const withNaN = V.map((row, i) => row.map((x, j) => (i === 1 && j === 2 ? NaN : x)));
    const mask = V.map((row, i) => row.map((_, j) => (i === 1 && j === 2 ? 0 : j === 0 ? 0.5 : 1)));
    const args = [file('vm.csv', csvText(withNaN)), '--rank', '2', '--mask', file('mask.tsv', mask.map((r) => r.join('\t')).join('\n'))];
    const r = await cli(['factorize', ...args, ...fit, '--out', join(dir, 'mask')]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).input.mask).toMatch(/mask\.tsv$/);
    const reference = nmfSync(matrix(withNaN), { rank: 2, mask: matrix(mask), seed: 3, maxIter: 40 });
    expect(Array.from(readCsv(join(dir, 'mask', 'W.csv')).data)).toEqual(Array.from(reference.W.data));
  });

  it('--mask: a missing entry of a JSON V is null (JSON has no NaN); without --mask null is refused', async () => {
    const withNull = V.map((row, i) => row.map((x, j) => (i === 0 && j === 3 ? null : x)));
    const mask = V.map((row, i) => row.map((_, j) => (i === 0 && j === 3 ? 0 : 1)));
    const input = file('vnull.json', JSON.stringify(withNull));
    const r = await cli([
      'factorize',
      input,
      '--rank',
      '2',
      '--mask',
      file('mnull.json', JSON.stringify(mask)),
      ...fit,
      '--out',
      join(dir, 'mask-null'),
    ]);
    expect(r.code, r.err).toBe(0);
    const reference = nmfSync(matrix(withNull.map((row) => row.map((x) => x ?? NaN))), {
      rank: 2,
      mask: matrix(mask),
      seed: 3,
      maxIter: 40,
    });
    expect(JSON.parse(readFileSync(join(dir, 'mask-null', 'W.json'), 'utf8')).flat()).toEqual(Array.from(reference.W.data));
    await fails([input, '--rank', '2'], 1, /vnull\.json: row 1, column 4: null is not a number/);
  });

  it('sizes are checked against V, naming the file', async () => {
    const v = file('vs.csv', csvText(V));
    await fails(
      [v, '--rank', '2', '--w', file('w-bad.csv', '1,1\n1,1\n')],
      1,
      /w-bad\.csv: W must be 5×2 \(the rows of V in \S*vs\.csv × the rank\), got 2×2/,
    );
    await fails(
      [v, '--h', file('h-bad.csv', '1,1\n')],
      1,
      /h-bad\.csv: H must be 1×4 \(the rank, from the rows of \S*h-bad\.csv × the columns of V in \S*vs\.csv\), got 1×2/,
    );
    await fails(
      [v, '--rank', '1', '--mask', file('m-bad.csv', '1\n')],
      1,
      /m-bad\.csv: the mask must be 5×4 \(the shape of V in \S*vs\.csv\), got 1×1/,
    );
  });

  it('--w, --h and --mask entries are checked like V, in their own file', async () => {
    const v = file('ve.csv', csvText(V));
    await fails(
      [v, '--w', file('w-neg.csv', '1\n1\n1\n-1\n1\n')],
      1,
      /w-neg\.csv: line 4, column 1: -1 is negative \(every entry of W must be ≥ 0\)/,
    );
    await fails(
      [v, '--rank', '1', '--mask', file('m-big.json', JSON.stringify(V))],
      1,
      /m-big\.json: row 1, column 2: 2 is above 1 \(every entry of the mask must be in \[0, 1\]\)/,
    );
    const nan = file('v-nan.csv', '1,NaN\n3,4\n');
    await fails(
      [nan, '--rank', '1', '--mask', file('m-one.csv', '1,1\n1,1\n')],
      1,
      /v-nan\.csv: line 1, column 2 is NaN \(missing\), but \S*m-one\.csv line 1, column 2 is 1, not 0/,
    );
    await fails(
      [v, '--w', file('w.wav', 'RIFF')],
      1,
      /--w \S*w\.wav: cannot tell its format from its extension: use \.csv, \.tsv, \.json or \.npy/,
    );
  });
});

describe('integer .npy', () => {
  const values = [1, 4, 0, 7, 2, 5, 1, 0, 3, 6, 0, 2];
  const typed: Record<string, ArrayBufferView> = {
    '|i1': Int8Array.from(values),
    '<i2': Int16Array.from(values),
    '<i4': Int32Array.from(values),
    '<i8': BigInt64Array.from(values.map(BigInt)),
    '|u1': Uint8Array.from(values),
    '<u2': Uint16Array.from(values),
    '<u4': Uint32Array.from(values),
    '<u8': BigUint64Array.from(values.map(BigInt)),
  };
  let reference: number;

  beforeAll(async () => {
    const r = await cli([
      'factorize',
      file('f8.npy', npyBytes('<f8', [4, 3], Float64Array.from(values))),
      '--rank',
      '2',
      '--seed',
      '5',
      '--max-iter',
      '30',
      '--json',
      ...QUIET,
      '--out',
      join(dir, 'npy-f8'),
    ]);
    reference = JSON.parse(r.out).spectralError;
  });

  it.each(Object.keys(typed))('%s is read as the same float64 matrix (the fit is that of the float64 file)', async (descr) => {
    const path = file(`int-${descr.slice(1)}.npy`, npyBytes(descr, [4, 3], typed[descr]!));
    const out = join(dir, `npy-${descr.slice(1)}`);
    const r = await cli(['factorize', path, '--rank', '2', '--seed', '5', '--max-iter', '30', '--json', ...QUIET, '--out', out]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).spectralError).toBe(reference);
    // Factors are not integers: written as float64.
    expect(readFileSync(join(out, 'W.npy')).toString('latin1')).toMatch(/'descr':\s*'<f8'/);
  });

  it('a 64-bit value float64 cannot hold exactly is refused, naming it; 2^60 (exact) is read', async () => {
    const big = file('big.npy', npyBytes('<i8', [1, 2], BigInt64Array.from([1n, 2n ** 53n + 1n])));
    await fails(
      [big, '--rank', '1'],
      1,
      /big\.npy: row 1, column 2: the int64 9007199254740993 has no exact float64 value \(the nearest is 9007199254740992\)/,
    );
    const exact = file('exact.npy', npyBytes('<u8', [1, 2], BigUint64Array.from([1n, 2n ** 60n])));
    expect((await cli(['factorize', exact, '--rank', '1', ...QUIET, '--out', join(dir, 'npy-exact')])).code).toBe(0);
  });

  it('a negative integer is refused like a negative float', async () => {
    await fails(
      [file('neg-int.npy', npyBytes('<i2', [1, 2], Int16Array.from([3, -2]))), '--rank', '1'],
      1,
      /neg-int\.npy: row 1, column 2: -2 is negative/,
    );
  });
});

describe('progress while a large input is read', () => {
  let big: string;
  beforeAll(() => {
    // 17 MiB of CSV (the line shows from 16 MiB on): 1100 rows of 2000 numbers.
    const row = Array.from({ length: 2000 }, (_, j) => ((j * 7919) % 1000) / 1000 + 0.0001).join(',');
    big = join(dir, 'big.csv');
    writeFileSync(big, `${row}\n`.repeat(Math.ceil((17 * 2 ** 20) / (row.length + 1))));
  });
  const args = (): string[] => ['factorize', big, '--rank', '1', '--max-iter', '0', '--no-figures', '--out', join(dir, 'out-big')];

  it('one line on stderr when it is not a terminal; nothing with --quiet or for a small file', async () => {
    const piped = await cli(args());
    expect(piped.code, piped.err).toBe(0);
    expect(piped.err).toMatch(/^nmfkit: reading \S*big\.csv \(17\.\d MB\)…\n$/);
    expect((await cli([...args(), '--quiet'])).err).toBe('');
    expect((await cli(['factorize', file('small.csv', '1,2\n'), '--rank', '1', '--no-figures', '--out', join(dir, 'out-small')])).err).toBe(
      '',
    );
  }, 60_000);

  it('Ctrl-C while the file is read stops the reading (CancelledError: exit 130)', async () => {
    const controller = new AbortController();
    let seen = 0;
    const reading = readMatrixFile(big, 'csv', {
      signal: controller.signal,
      progress: { start() {}, advance: (read) => ((seen = read), read > 2 ** 20 && controller.abort()), stop() {} },
    });
    await expect(reading).rejects.toThrow(CancelledError);
    await expect(reading).rejects.toThrow(/cancelled while reading \S*big\.csv/);
    expect(seen).toBeLessThan(statSync(big).size);
  });

  it('a large WAV is announced too', async () => {
    // 17 MiB of 16-bit PCM: 8.9 M samples of a 440 Hz tone.
    const samples = Float64Array.from({ length: 17 * 2 ** 19 }, (_, n) => 0.5 * Math.sin((2 * Math.PI * 440 * n) / 8000));
    const wav = file('long.wav', new Uint8Array(encodeWav(samples, 8000, { bitDepth: '16' })));
    const args = ['factorize', wav, '--rank', '1', '--max-iter', '0', '--n-fft', '1024', '--hop', '1024', '--no-figures'];
    const r = await cli([...args, '--out', join(dir, 'out-long')]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^nmfkit: reading \S*long\.wav \(17\.\d MB\)…\n$/);
  }, 60_000);

  it('a bar of the bytes read on a terminal', async () => {
    const tty = await cli(args(), true);
    expect(tty.code, tty.err).toBe(0);
    expect(tty.err).toMatch(/reading \S*big\.csv \[.*\] \d+% of 17\.\d MB/);
  }, 60_000);
});
