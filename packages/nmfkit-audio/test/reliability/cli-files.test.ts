/**
 * The CLI's files: it never writes through a symbolic link it did not create in --out (a planted out/W.csv → a
 * file elsewhere once got overwritten), `--out ''` is a usage error, and every file problem names the file — a
 * deeply nested .json (once only "Maximum call stack size exceeded"), a JSON whose rows would need billions of
 * entries (once "Invalid typed array length: 20001000000"), a WAV with a format code that is not PCM, float,
 * A-law, µ-law or IMA ADPCM (once decoded as PCM).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { encodeWav } from '../../src/index.js';

let dir: string;
beforeAll(() => void (dir = mkdtempSync(join(tmpdir(), 'nmfkit-files-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const stderr = { write: (s: string) => ((err += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const code = await run(args, { stdout, stderr });
  return { code, out, err };
}

function csv(name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '1,2,3\n4,5,6\n0,1,0\n7,0.5,2\n');
  return path;
}

describe('CLI output files', () => {
  it.each(['W.csv', 'H.csv', 'summary.json', 'factors.png', 'errors.png'])(
    'a planted symlink out/%s is refused and its target untouched',
    async (name) => {
      const out = join(dir, `out-${name}`);
      mkdirSync(out);
      const target = join(dir, `precious-${name}`);
      writeFileSync(target, 'keep me\n');
      symlinkSync(target, join(out, name));
      const { code, err } = await cli(['factorize', csv(`v-${name}.csv`), '--rank', '2', '--max-iter', '5', '--out', out]);
      expect(code).toBe(1);
      expect(err).toContain(join(out, name));
      expect(err).toMatch(/symbolic link/);
      expect(readFileSync(target, 'utf8')).toBe('keep me\n');
    },
  );

  it('a rerun into the same --out overwrites its own regular files', async () => {
    const out = join(dir, 'rerun');
    const input = csv('rerun.csv');
    expect((await cli(['factorize', input, '--rank', '2', '--max-iter', '5', '--out', out])).code).toBe(0);
    expect((await cli(['factorize', input, '--rank', '2', '--max-iter', '5', '--out', out])).code).toBe(0);
  });

  it.each(['factorize', 'demo'])("%s --out '' is a usage error naming --out", async (command) => {
    const args = command === 'factorize' ? ['factorize', csv('empty-out.csv'), '--rank', '2', '--out', ''] : ['demo', '--out', ''];
    const { code, err } = await cli(args);
    expect(code).toBe(2);
    expect(err).toMatch(/--out/);
  });
});

describe('CLI input files: every error names the file', () => {
  const fails = async (name: string, content: string | Uint8Array, message: RegExp): Promise<void> => {
    const path = join(dir, name);
    writeFileSync(path, content);
    const { code, err } = await cli(['factorize', path, '--rank', '1', '--max-iter', '2', '--out', join(dir, `out-${name}`)]);
    expect(code, err).toBe(1);
    expect(err).toContain(path);
    expect(err).toMatch(message);
  };

  it('a deeply nested .json', async () => {
    const depth = 200_000;
    await fails('deep.json', `[${'['.repeat(depth)}1${']'.repeat(depth)}]`, /nested|not a number/);
    await fails('deep-shaped.json', `{"rows":1,"cols":1,"data":[${'['.repeat(depth)}1${']'.repeat(depth)}]}`, /nested|not a number/);
  });

  it('a rows bomb: one long row and many empty ones', async () => {
    const rows = [`[${new Array(200_010).fill(1).join(',')}]`, ...new Array(99_999).fill('[]')];
    await fails('bomb.json', `[${rows.join(',')}]`, /row 2 has 0 entries/);
    await fails('bomb-shaped.json', JSON.stringify({ rows: 100_000, cols: 200_010, data: [1] }), /"data" has 1 entries/);
  });

  it('a WAV with an unknown format code', async () => {
    const bytes = new Uint8Array(encodeWav(new Float64Array(4096).fill(0.25), 8000, { bitDepth: '16' }));
    // The fmt chunk's format code (offset 20 of a canonical header): 0x0055, MPEG layer 3.
    expect(Buffer.from(bytes.subarray(12, 16)).toString('latin1')).toBe('fmt ');
    bytes[20] = 0x55;
    bytes[21] = 0x00;
    await fails('mp3-coded.wav', bytes, /format code 0x0055|format code 85/);
  });
});
