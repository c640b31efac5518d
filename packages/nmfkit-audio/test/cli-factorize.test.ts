/**
 * `nmfkit factorize`, run in-process through `run(argv, io)`: every input format on a small matrix (CSV, TSV,
 * JSON in both forms, .npy float32/float64, WAV), outputs in the input's format, --json, bad files (exit 1) and
 * bad flags (exit 2) with clear messages, the fit flags (--loss, --solver, penalties, --restarts …) passed through
 * only when given, and the progress bar
 * on a terminal only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump as dumpNpy, parse as parseNpy } from 'npyjs';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type Outcome } from './helpers/cli-run.js';
import { npyBytes } from './helpers/npy.js';
import { ERROR_CODES } from 'nmfkit/validation';
import { encodeWav } from '../src/index.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nmfkit-cli-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The CLI run with NMFKIT_DEBUG set, which prints the stable code of the error it reports. */
async function debugged(args: string[]): Promise<Outcome> {
  const before = process.env.NMFKIT_DEBUG;
  process.env.NMFKIT_DEBUG = '1';
  try {
    return await cli(args);
  } finally {
    if (before === undefined) delete process.env.NMFKIT_DEBUG;
    else process.env.NMFKIT_DEBUG = before;
  }
}

/** The code a failed run printed (NMFKIT_DEBUG), which must be one of the documented list (docs/api.md#errors). */
function expectCode(r: Outcome): string {
  const code = /^nmfkit: code (\S+)$/m.exec(r.err)?.[1];
  expect(code !== undefined && code in ERROR_CODES, `code ${String(code)} in ${r.err}`).toBe(true);
  return code!;
}

const V = [
  [1, 2, 3],
  [4, 5, 6],
  [0, 1, 0],
  [7, 0.5, 2],
];

function file(name: string, content: string | Uint8Array | ArrayBuffer): string {
  const path = join(dir, name);
  writeFileSync(path, content instanceof ArrayBuffer ? new Uint8Array(content) : content);
  return path;
}

const FIT = ['--rank', '2', '--seed', '7', '--max-iter', '60', '--no-figures'];

describe('nmfkit factorize: input formats', () => {
  const inputs: Record<string, () => string> = {
    csv: () => file('v.csv', '# a comment\n1,2,3\n4,5,6\n\n0,1,0\n7,0.5,2\n'),
    tsv: () => file('v.tsv', V.map((r) => r.join('\t')).join('\n')),
    'json (rows)': () => file('rows.json', JSON.stringify(V)),
    'json (shaped)': () => file('shaped.json', JSON.stringify({ rows: 4, cols: 3, data: V.flat() })),
    'npy float64': () => file('v64.npy', dumpNpy(Float64Array.from(V.flat()), [4, 3])),
    'npy float32': () => file('v32.npy', dumpNpy(Float32Array.from(V.flat()), [4, 3])),
  };
  const errors: Record<string, number> = {};

  it.each(Object.keys(inputs))('reads %s and writes W and H in the same format', async (name) => {
    const input = inputs[name]!();
    const out = join(dir, `out-${name.replace(/\W+/g, '-')}`);
    const r = await cli(['factorize', input, ...FIT, '--out', out, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.input).toMatchObject({ rows: 4, cols: 3 });
    expect(summary.options).toEqual({ rank: 2, maxIter: 60, seed: 7 });
    expect(summary.iterations).toBe(60);
    errors[name] = summary.spectralError;
    const ext = name.split(' ')[0]!;
    const W = readFileSync(join(out, `W.${ext}`));
    const H = readFileSync(join(out, `H.${ext}`));
    if (ext === 'csv' || ext === 'tsv') {
      const rows = W.toString().trim().split('\n');
      expect(rows).toHaveLength(4);
      expect(rows[0]!.split(ext === 'csv' ? ',' : '\t')).toHaveLength(2);
      expect(H.toString().trim().split('\n')).toHaveLength(2);
    } else if (ext === 'json') {
      const w = JSON.parse(W.toString());
      if (name.includes('shaped')) expect(w).toMatchObject({ rows: 4, cols: 2 });
      else expect(w.map((row: number[]) => row.length)).toEqual([2, 2, 2, 2]);
    } else {
      const w = parseNpy(W.buffer.slice(W.byteOffset, W.byteOffset + W.byteLength) as ArrayBuffer);
      expect(w.shape).toEqual([4, 2]);
      expect(w.dtype).toBe(name.includes('32') ? 'f4' : 'f8');
    }
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).iterations).toBe(60);
  });

  it('gives the same fit whatever the (lossless) format', () => {
    const reference = errors.csv!;
    for (const name of ['tsv', 'json (rows)', 'json (shaped)', 'npy float64']) expect(errors[name]).toBe(reference);
    expect(errors['npy float32']).toBeCloseTo(reference, 5);
  });

  it('reads a Fortran-order .npy file', async () => {
    const bytes = new Uint8Array(dumpNpy(Float64Array.from([1, 4, 0, 7, 2, 5, 1, 0.5, 3, 6, 0, 2]), [4, 3]));
    // Buffer's latin1 maps bytes to code points one to one (TextDecoder's 'latin1' is windows-1252 on Node 22+,
    // which remaps 0x80–0x9F and corrupted the data bytes).
    const text = Buffer.from(bytes).toString('latin1').replace("'fortran_order':False", "'fortran_order':True ");
    const path = file('fortran.npy', new Uint8Array(Buffer.from(text, 'latin1')));
    const r = await cli(['factorize', path, ...FIT, '--out', join(dir, 'out-fortran'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).spectralError).toBe(errors.csv);
  });

  it('factorizes the spectrogram of a WAV file, with template pitches and figures', async () => {
    const sr = 8000;
    const x = Float64Array.from({ length: sr }, (_, n) => {
      const t = n / sr;
      return (
        0.3 * (t < 0.5 ? Math.sin(2 * Math.PI * 440 * t) : Math.sin(2 * Math.PI * 330 * t)) * Math.min(1, 10 * (0.5 - Math.abs(t - 0.5)))
      );
    });
    const path = file('tones.wav', encodeWav(x, sr, { bitDepth: '24' }));
    const out = join(dir, 'out-wav');
    const r = await cli([
      'factorize',
      path,
      '--rank',
      '2',
      '--seed',
      '1',
      '--max-iter',
      '100',
      '--n-fft',
      '512',
      '--hop',
      '128',
      '--log',
      '1',
      '--out',
      out,
      '--json',
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.input).toMatchObject({
      format: 'wav',
      rows: 257,
      audio: { sampleRate: 8000, nFft: 512, hop: 128, log: 1, bitDepth: '24' },
    });
    expect(summary.templates.map((t: { name: string }) => t.name).sort()).toEqual(['A4', 'E4']);
    expect(readFileSync(join(out, 'W.csv'), 'utf8').trim().split('\n')).toHaveLength(257);
    const png = PNG.sync.read(readFileSync(join(out, 'factors.png')));
    expect(png.width).toBeGreaterThan(1000);
    expect(existsSync(join(out, 'errors.png'))).toBe(true);

    const report = await cli([
      'factorize',
      path,
      '--rank',
      '2',
      '--seed',
      '1',
      '--max-iter',
      '20',
      '--n-fft',
      '512',
      '--out',
      out,
      '--format',
      'json',
      '--no-figures',
    ]);
    expect(report.code).toBe(0);
    expect(report.out).toMatch(/template\s+f0 \(Hz\)\s+pitch\s+cents\s+salience/);
    expect(existsSync(join(out, 'W.json'))).toBe(true);
  });
});

describe('nmfkit factorize: bad input (exit code 1)', () => {
  it.each([
    ['a missing file', () => join(dir, 'nope.csv'), /cannot read .*nope\.csv: no such file/],
    ['a ragged CSV', () => file('ragged.csv', '1,2,3\n4,5\n'), /ragged\.csv: line 2 has 2 fields, line 1 \(the first row\) has 3$/m],
    ['a non-numeric entry', () => file('text.csv', '1,2\n3,x\n'), /text\.csv: line 2, column 2: "x" is not a finite number/],
    [
      'a header row',
      () => file('header.csv', 'a,b\n1,2\n'),
      /header\.csv: line 1, column 1: "a" is not a finite number \(the first row looks like a header: a header row is not supported\)/,
    ],
    [
      'a negative entry',
      () => file('negative.tsv', '1\t-2\n3\t4\n'),
      /negative\.tsv: line 1, column 2: -2 is negative \(every entry of V must be ≥ 0\)/,
    ],
    ['invalid JSON', () => file('bad.json', '{"rows": 2,'), /bad\.json: not valid JSON/],
    [
      'JSON of the wrong shape',
      () => file('shape.json', '{"rows": 2, "cols": 2, "data": [1, 2, 3]}'),
      /shape\.json: "data" has 3 entries, rows × cols = 4/,
    ],
    ['a corrupt .npy file', () => file('corrupt.npy', 'not numpy at all'), /corrupt\.npy: not a readable \.npy file/],
    [
      'a boolean .npy file',
      () => file('bool.npy', npyBytes('|b1', [2, 2], new Uint8Array([1, 0, 0, 1]))),
      /bool\.npy: dtype b1 is not supported/,
    ],
    [
      'a 3-D .npy file',
      () =>
        file(
          'cube.npy',
          dumpNpy(
            Float64Array.from({ length: 8 }, () => 1),
            [2, 2, 2],
          ),
        ),
      /cube\.npy: expected a 2-D array, got shape \(2, 2, 2\)/,
    ],
    ['a corrupt WAV file', () => file('corrupt.wav', '1,2,3'), /nmfkit: error: \S*corrupt\.wav is not a readable WAV file: /],
    ['an unknown extension', () => file('v.txt', '1,2\n'), /cannot tell the format of .*v\.txt from its extension/],
  ])('%s', async (_name, make, message) => {
    const r = await cli(['factorize', make(), '--rank', '1', '--no-figures', '--out', join(dir, 'out-bad')]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^nmfkit: error: /);
    expect(r.err).toMatch(message);
    expectCode(await debugged(['factorize', make(), '--rank', '1', '--no-figures', '--out', join(dir, 'out-bad')]));
  });

  it('passes --loss and --dtype to nmf only when given', async () => {
    const input = file('ok.csv', '1,2\n3,4\n');
    const plain = await cli(['factorize', input, '--rank', '1', '--no-figures', '--out', join(dir, 'out-ok'), '--json']);
    expect(plain.code).toBe(0);
    expect(Object.keys(JSON.parse(plain.out).options)).toEqual(['rank']);
    const given = await cli([
      ...['factorize', input, '--rank', '1', '--no-figures', '--out', join(dir, 'out-ok'), '--json'],
      ...['--loss', 'kl', '--dtype', 'float32'],
    ]);
    expect(given.code).toBe(0);
    expect(JSON.parse(given.out).options).toEqual({ rank: 1, loss: 'kl', dtype: 'float32' });
  });

  it('passes the algorithm flags to nmf under its option names; a number for --loss is β', async () => {
    const input = file('algo.csv', '1,2,3\n3,4,1\n2,2,5\n');
    const args = ['factorize', input, '--rank', '2', '--no-figures', '--json', '--out', join(dir, 'out-algo')];
    const r = await cli([
      ...args,
      '--loss',
      'kl',
      '--l1-h',
      '0.1',
      '--l2-w',
      '0.2',
      '--restarts',
      '3',
      '--seed',
      '4',
      '--stop',
      'objective',
      '--error-every',
      '2',
      '--init',
      'random-scaled',
      '--normalize',
      'l1',
    ]);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out);
    expect(summary.options).toEqual({
      rank: 2,
      loss: 'kl',
      l1H: 0.1,
      l2W: 0.2,
      restarts: 3,
      seed: 4,
      stop: 'objective',
      errorEvery: 2,
      init: 'random-scaled',
      normalize: 'l1',
    });
    expect(summary.objective).toBeGreaterThan(0);
    const beta = await cli([...args, '--loss', '0.5']);
    expect(beta.code).toBe(0);
    expect(JSON.parse(beta.out).options.loss).toBe(0.5);
    // A combination of flags nmf refuses is a usage error, said with the flags' names.
    const hals = await cli([...args, '--solver', 'hals', '--loss', 'is']);
    expect(hals.code).toBe(2);
    expect(hals.err).toMatch(/^nmfkit: error: --solver 'hals' is for the Euclidean loss only/);
    // The library's error keeps its code through the command's UsageError.
    expect(expectCode(await debugged([...args, '--solver', 'hals', '--loss', 'is']))).toBe('NMFKIT_INVALID_VALUE');
    expect(expectCode(await debugged(['factorize', join(dir, 'missing.csv'), '--rank', '1', '--no-figures']))).toBe('NMFKIT_INPUT');
  });
});

describe('nmfkit: usage errors (exit code 2)', () => {
  it.each([
    [['factorize'], /required option '-r, --rank <R>' not specified|missing required argument 'input'/],
    [['factorize', 'x.csv'], /required option '-r, --rank <R>' not specified/],
    [['factorize', 'x.csv', '--rank', 'two'], /--rank must be an integer ≥ 1, got "two"/],
    [['factorize', 'x.csv', '--rank', '0'], /--rank must be an integer ≥ 1, got "0"/],
    [['factorize', 'x.csv', '--rank', '2', '--tol', '-1'], /--tol must be a number ≥ 0/],
    [['factorize', 'x.csv', '--rank', '2', '--normalize', 'l3'], /argument 'l3' is invalid. Allowed choices are none, max, l1, l2/],
    [['factorize', 'x.csv', '--rank', '2', '--solver', 'cd'], /Allowed choices are mu, hals/],
    [['factorize', 'x.csv', '--rank', '2', '--stop', 'never'], /Allowed choices are change, objective, none/],
    [['factorize', 'x.csv', '--rank', '2', '--restarts', '0'], /--restarts must be an integer ≥ 1/],
    [['factorize', 'x.csv', '--rank', '2', '--l1-h', '-1'], /--l1-h must be a number ≥ 0/],
    [['factorize', 'x.csv', '--rank', '2', '--backend', 'gpu'], /Allowed choices are auto, native, wasm/],
    [['factorize', 'x.csv', '--rank', '2', '--n-fft', '1000'], /--n-fft must be a power of two/],
    [['factorize', 'x.csv', '--rank', '2', '--format', 'xlsx'], /Allowed choices are csv, tsv, json, npy/],
    [['factorize', 'x.csv', '--rank', '2', '--bogus'], /unknown option '--bogus'/],
    [['factorize', 'x.csv', 'y.csv', '--rank', '2'], /too many arguments/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [[], /Usage: nmfkit/],
    [['demo', '--max-iter', '-3'], /--max-iter must be an integer ≥ 0/],
  ])('%j', async (args, message) => {
    const r = await cli(args as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('prints help with exit code 0, documenting formats, --loss/--dtype and exit codes', async () => {
    const r = await cli(['factorize', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--loss <name>/);
    expect(r.out).toMatch(/handed to nmf\(\) only when given/);
    expect(r.out).toMatch(/Exit codes: 0 success, 1 bad input, 2 usage error, 130 cancelled/);
    expect(r.out).toMatch(/\.npy\s+a 2-D NumPy array .* of float32, float64 or integers/);
    expect(r.out).toMatch(/--dtype <name>\s+compute precision \(default float64\) \(choices:\s+"float64",\s+"float32"\)/);
    expect((await cli(['--version'])).code).toBe(0);
  });
});

describe('nmfkit factorize: progress', () => {
  it('draws a progress bar on a terminal and nothing when piped', async () => {
    const input = file('progress.csv', V.map((r) => r.join(',')).join('\n'));
    const piped = await cli(['factorize', input, ...FIT, '--out', join(dir, 'out-progress')]);
    expect(piped.err).toBe('');
    expect(piped.out).toMatch(/rank 2: 60 iterations \(maxIter\)/);
    const tty = await cli(['factorize', input, ...FIT, '--out', join(dir, 'out-progress')], true);
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/factorize \[.*\] \d+\/60 it \| ‖ΔH‖ /);
    const quiet = await cli(['factorize', input, ...FIT, '--out', join(dir, 'out-progress'), '--quiet'], true);
    expect(quiet.err).toBe('');
    expect(quiet.out).toBe('');
  });
});
