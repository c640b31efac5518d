/**
 * Keeps the benchmark harness (bench/run.mjs, `npm run bench`) from rotting: runs it in `--quick --problems tiny`
 * mode and checks the shape of its JSON. No timing is judged here — only that every measured figure is a finite
 * positive number. The Python peers may be skipped (numpy / scikit-learn not installed); they must not error.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const RUN = fileURLToPath(new URL('../../bench/run.mjs', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'nmfkit-bench-smoke-'));

const BENCH_ADDON = fileURLToPath(new URL('../../bench/native/build/Release/nmfkit_bench.node', import.meta.url));

afterAll(() => rmSync(out, { recursive: true, force: true }));

// The GEMM floor rows need the bench's own addon, which `npm run bench` builds and a fresh clone lacks.
beforeAll(() => {
  if (!existsSync(BENCH_ADDON)) execFileSync('npm', ['run', '--silent', 'build:bench'], { stdio: 'ignore', timeout: 170_000 });
}, 180_000);

interface Row {
  id: string;
  label: string;
  kind: string;
  dtype: string;
  status: string;
  note?: string;
  [key: string]: unknown;
}

const positive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('bench harness (quick, tiny)', () => {
  it('runs and writes results with the expected structure', { timeout: 240_000 }, async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [RUN, '--quick', '--problems', 'tiny', '--out', out], {
      maxBuffer: 16 << 20,
      timeout: 230_000,
    });
    expect(stdout).toContain('tiny 64×64 R=4');
    expect(stdout).toContain('targets:');

    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8'));
    expect(results.schema).toBe(1);
    expect(results.quick).toBe(true);
    expect(typeof results.machine.cpu.model).toBe('string');
    expect(positive(results.machine.cpu.logicalCores)).toBe(true);
    expect(results.machine.node).toBe(process.version);
    expect(results.machine.blas).toBeTypeOf('object');
    expect(results.machine.python).toBeTypeOf('object');
    expect(typeof results.method.flops).toBe('string');
    expect(typeof results.method.vBytes).toBe('string');

    expect(results.problems).toHaveLength(1);
    const [tiny] = results.problems;
    expect(tiny).toMatchObject({ name: 'tiny', K: 64, N: 64, R: 4 });
    expect(positive(tiny.iterations)).toBe(true);
    expect(tiny.flopsPerIteration).toBe(4 * 64 * 64 * 4 + 4 * 4 * 4 * (64 + 64));
    expect(tiny.checkFailures).toEqual([]);

    const rows: Row[] = tiny.rows;
    const ids = rows.map((r) => r.id);
    for (const id of [
      'native-f64-default',
      'native-f32-default',
      'native-f64-1t',
      'native-f64-mt',
      'native-f32-1t',
      'wasm-f64',
      'wasm-f32',
      'floor-f64-1t',
      'ml-matrix',
      'numpy',
      'sklearn',
    ]) {
      expect(ids).toContain(id);
    }
    for (const row of rows) {
      expect(['ok', 'n/a', 'skipped'], `${row.id}: ${row.status} ${row.note ?? ''}`).toContain(row.status);
      if (row.status !== 'ok') {
        expect(typeof row.note, `${row.id} says why it is ${row.status}`).toBe('string');
        continue;
      }
      for (const field of [
        'secondsPerIteration',
        'msPerIteration',
        'gflops',
        'vGBps',
        'vBytesPerIteration',
        'repeats',
        'ratioToBestPeer',
      ]) {
        expect(positive(row[field]), `${row.id}.${field} = ${String(row[field])}`).toBe(true);
      }
      // Ratios to numpy and to the floor on every core: present when those rows were measured.
      if (rows.some((r) => r.id === 'numpy' && r.status === 'ok')) expect(positive(row.ratioToNumpy), `${row.id}.ratioToNumpy`).toBe(true);
      if (rows.some((r) => r.kind === 'floor' && r.status === 'ok'))
        expect(positive(row.ratioToFloor), `${row.id}.ratioToFloor`).toBe(true);
      if (row.kind !== 'floor') {
        expect(Array.isArray(row.seconds) && (row.seconds as number[]).every(positive), `${row.id}.seconds`).toBe(true);
        expect(positive((row.check as { frobenius?: number } | undefined)?.frobenius), `${row.id}.check.frobenius`).toBe(true);
      }
    }
    // The wasm backend and the JS peer always run; a dtype no backend computes yet is n/a, never faked.
    expect(rows.find((r) => r.id === 'wasm-f64')?.status).toBe('ok');
    expect(rows.find((r) => r.id === 'ml-matrix')?.status).toBe('ok');
    for (const row of rows.filter((r) => r.dtype === 'float32' && r.kind === 'nmfkit' && r.status !== 'ok')) expect(row.status).toBe('n/a');

    expect(results.targets).toHaveLength(5);
    for (const target of results.targets) expect([true, false, null]).toContain(target.met);

    // The algorithms part (--quick: on the run's first problem): every algorithm × implementation, then its peer.
    const part = results.algorithms;
    expect(stdout).toContain('algorithms on tiny 64×64 R=4');
    expect(part.problem).toMatchObject({ name: 'tiny', K: 64, N: 64, R: 4 });
    expect(part.rows).toHaveLength(part.algorithms.length * (part.implementations.length + 1));
    for (const row of part.rows as Row[]) {
      expect(['ok', 'n/a', 'skipped'], `${row.label}: ${row.status} ${row.note ?? ''}`).toContain(row.status);
      if (row.status !== 'ok') continue;
      for (const field of ['secondsPerIteration', 'msPerIteration', 'objective'])
        expect(positive(row[field]), `${row.label}.${field}`).toBe(true);
      if (row.implementation !== 'peer')
        expect(positive((row.defaultErrorEvery as { secondsPerIteration: number }).secondsPerIteration)).toBe(true);
    }
    expect(part.rows.filter((r: Row) => r.backend === 'wasm').every((r: Row) => r.status === 'ok')).toBe(true);

    // The row marked default is nmfkit's own choice of threads: a team of at least 1, 1 BLAS thread per member.
    const defaultRow = rows.find((r) => r.id === 'native-f64-default');
    if (defaultRow?.status === 'ok') {
      expect(defaultRow.isDefault).toBe(true);
      expect(positive(defaultRow.team)).toBe(true);
      expect(rows.filter((r) => r.isDefault).every((r) => r.id.endsWith('-default'))).toBe(true);
    }

    // Time to solution: every problem × algorithm × dtype × call, then the peer (--quick: the non-Euclidean
    // algorithms on the run's first problem).
    const solution = results.solution;
    expect(stdout).toContain('time to solution');
    expect(solution.problems.map((p: { name: string }) => p.name)).toEqual(['tiny']);
    expect(solution.algorithms.map((a: { id: string }) => a.id)).toEqual(['mu-euclidean', 'hals', 'mu-kl', 'mu-beta-0.5', 'mu-mask']);
    expect(solution.rows).toHaveLength(solution.algorithms.length * solution.dtypes.length * (solution.calls.length + 1));
    for (const row of solution.rows as Row[]) {
      expect(['ok', 'n/a', 'skipped'], `${row.label}: ${row.status} ${row.note ?? ''}`).toContain(row.status);
      if (row.status !== 'ok') continue;
      expect(positive(row.iterations), `${row.label}.iterations`).toBe(true);
      for (const field of ['secondsPerCall', 'minSecondsPerCall', 'msPerCall', 'objective'])
        expect(positive(row[field]), `${row.label}.${field} = ${String(row[field])}`).toBe(true);
      expect((row.seconds as number[]).every(positive), `${row.label}.seconds`).toBe(true);
      if (row.implementation === 'peer') expect(row.computedDtype).toBe(row.dtype);
      const peer = (solution.rows as Row[]).find(
        (r) => r.implementation === 'peer' && r.problem === row.problem && r.algorithm === row.algorithm && r.dtype === row.dtype,
      );
      if (peer?.status === 'ok') {
        expect(positive(row.ratioToPeer), `${row.label}.ratioToPeer`).toBe(true);
        if (row.implementation !== 'peer') expect(positive(row.objectiveRatio), `${row.label}.objectiveRatio`).toBe(true);
      }
    }
    expect(solution.rows.filter((r: Row) => r.backend === 'wasm').every((r: Row) => r.status === 'ok')).toBe(true);

    // Time to the target objective (--quick: on tiny, scikit-learn cd's objective after 20 iterations).
    const target = results.target;
    expect(target.problem).toMatchObject({ name: 'tiny', K: 64, N: 64, R: 4 });
    expect(['ok', 'skipped']).toContain(target.peer.status);
    expect(target.rows.map((r: Row) => r.variant)).toEqual(['hals', 'hals-3', 'hals-5', 'mu-euclidean']);
    if (target.peer.status === 'ok') {
      expect(stdout).toContain("time to scikit-learn cd's objective");
      for (const field of ['secondsPerCall', 'msPerCall', 'objective']) expect(positive(target.peer[field]), `peer.${field}`).toBe(true);
      expect(target.target).toBe(target.peer.objective);
      for (const row of target.rows) {
        expect(['ok', 'not reached'], `${row.label}: ${row.status} ${row.note ?? ''}`).toContain(row.status);
        expect(positive(row.searchSeconds) && positive(row.objectiveRatio), row.label).toBe(true);
        if (row.status !== 'ok') continue;
        expect(Number.isInteger(row.iterationsToTarget) && row.iterationsToTarget >= 1 && row.iterationsToTarget <= target.cap).toBe(true);
        expect(row.reached, `${row.label} reaches the target in its timed calls`).toBe(true);
        for (const timing of [row, row.spectralErrorFalse])
          for (const field of ['secondsPerCall', 'msPerCall', 'ratioToPeer'])
            expect(positive(timing[field]), `${row.label}.${field} = ${String(timing[field])}`).toBe(true);
      }
      // Plain HALS is scikit-learn's cd (another update order): it gets there.
      expect(target.rows[0].status).toBe('ok');
    }

    // Throughput: nmfBatch, nmf, nmfSync on both backends, then scikit-learn's loop over the same matrices.
    expect(results.throughput.rows.length).toBeGreaterThan(0);
    const sklearnLoop = results.throughput.rows.find((r: Row) => r.mode === 'scikit-learn loop');
    expect(['ok', 'skipped']).toContain(sklearnLoop.status);
    for (const row of results.throughput.rows) {
      if (row.status !== 'ok') {
        expect(['n/a', 'skipped']).toContain(row.status);
        continue;
      }
      expect(row.count).toBe(40);
      expect(positive(row.fitsPerSecond) && positive(row.seconds)).toBe(true);
      // Two timed passes with --quick, every row the peer's included; the figure is their median.
      expect(row.passSeconds, `${row.mode} ${row.backend}.passSeconds`).toHaveLength(2);
      expect(row.seconds).toBeCloseTo((row.passSeconds[0] + row.passSeconds[1]) / 2, 12);
      if (sklearnLoop.status === 'ok') expect(positive(row.ratioToSklearn), `${row.mode} ${row.backend}.ratioToSklearn`).toBe(true);
    }

    // The load average at the start and the end of the run.
    for (const when of ['start', 'end']) expect(Number.isFinite(results.load[when].one), `load.${when}`).toBe(true);

    expect(existsSync(join(out, 'latest.svg'))).toBe(true);
  });
});
