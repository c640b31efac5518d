/** Shared test helpers: fixtures, backend availability, comparisons, random problems. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendInfo, type BackendName, type Matrix, type MatrixInput, type NmfOptions, type NmfResult } from '../../src/index.js';
import { driveAsync, driveSync } from '../../src/driver.js';
import { planFit } from '../../src/options.js';
import { buildResult } from '../../src/result.js';
import { chooseBackend } from '../../src/entry/node.js';
import { Random } from '../../src/random.js';

export interface FixtureMatrix {
  rows: number;
  cols: number;
  data: number[];
}

export interface Fixture {
  name: string;
  description: string;
  input: { V: FixtureMatrix; rank: number; thresh: number; maxIter: number; W0: FixtureMatrix; H0: FixtureMatrix; norm: boolean };
  expected: { W: FixtureMatrix; H: FixtureMatrix; iterations: number; VApproxErr: number; hError: number[]; wError: number[] };
}

/** The libfmp-compatible MU reference runs (test/fixtures/libfmp-mu, README.md there). */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/libfmp-mu/', import.meta.url));

export function loadFixtures(): Fixture[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(FIXTURE_DIR + f, 'utf8')) as Fixture);
}

export function loadFixture(name: string): Fixture {
  return JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.json`, 'utf8')) as Fixture;
}

/**
 * Whether a backend loaded, so tests of it can run. One that did not load is skipped on a developer's machine
 * (no BLAS, say), but CI sets NMFKIT_REQUIRE_ALL_BACKENDS=1: then a missing backend fails the run instead of
 * being skipped.
 */
export function backendAvailable(name: BackendName): boolean {
  const state = backendInfo()[name];
  if (!state.loaded && process.env.NMFKIT_REQUIRE_ALL_BACKENDS === '1') {
    throw new Error(`NMFKIT_REQUIRE_ALL_BACKENDS=1 but the ${name} backend did not load: ${state.reason}`);
  }
  return state.loaded;
}

export const BACKENDS: BackendName[] = ['native', 'wasm'];

/** ‖got − expected‖₂ / ‖expected‖₂ over all entries, or the absolute norm when expected is all zeros. */
export function relativeError(got: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (got.length !== expected.length) return Infinity;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < got.length; i++) {
    diff += (got[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}

/** Asserts the fixture tolerance: 1e-9 relative, 1e-12 absolute where the expectation is zero. */
export function closeTo(got: ArrayLike<number>, expected: ArrayLike<number>, rel = 1e-9): boolean {
  let norm = 0;
  for (let i = 0; i < expected.length; i++) norm += expected[i]! ** 2;
  const error = relativeError(got, expected);
  return norm === 0 ? error <= 1e-12 : error <= rel;
}

/** A random nonnegative K×N matrix with a seeded stream. */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  return { rows, cols, data: new Random(seed).fill(new Float64Array(rows * cols)) };
}

/** The options that replay a fixture's run (its W0, H0, tol, maxIter and normalisation) on one backend. */
export function fixtureOptions(f: Fixture, backend: BackendName, extra: Partial<NmfOptions> = {}): NmfOptions {
  return {
    rank: f.input.rank,
    maxIter: f.input.maxIter,
    tol: f.input.thresh,
    W: f.input.W0,
    H: f.input.H0,
    normalize: f.input.norm ? 'max' : 'none',
    backend,
    ...extra,
  };
}

/**
 * nmfSync / nmf with the fused sweep's block rows forced (FitSpec.blockRows; 0: the iteration that reads V twice).
 * It is not a user option: the backends size it (src/backends/block-rows.ts), and the fixtures are all small
 * enough for the iteration that reads V twice.
 */
export function fitWithBlockRows(V: MatrixInput, options: NmfOptions, blockRows: number): NmfResult {
  const plan = planFit(V, options);
  const backend = chooseBackend(plan.backend);
  const { problem } = plan.problemFor(0, { blockRows: () => blockRows, teamSize: () => 1 }, 1);
  return buildResult(plan, driveSync(backend.createFit(problem), plan), backend.name);
}

export async function fitWithBlockRowsAsync(V: MatrixInput, options: NmfOptions, blockRows: number): Promise<NmfResult> {
  const plan = planFit(V, options);
  const backend = chooseBackend(plan.backend);
  const { problem } = plan.problemFor(0, { blockRows: () => blockRows, teamSize: () => 1 }, 1);
  return buildResult(plan, await driveAsync(backend.createAsyncFit(problem), plan), backend.name);
}
