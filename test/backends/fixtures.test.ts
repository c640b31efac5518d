/** Every libfmp fixture on both backends, sync and async: libfmp's numbers to 1e-9. */
import { describe, expect, it } from 'vitest';
import { nmf, nmfSync, type NmfOptions, type NmfResult } from '../../src/index.js';
import {
  BACKENDS,
  backendAvailable,
  fitWithBlockRows,
  fitWithBlockRowsAsync,
  fixtureOptions,
  closeTo,
  loadFixtures,
  relativeError,
  type Fixture,
} from '../support/helpers.js';

const optionsOf = (f: Fixture, backend: 'native' | 'wasm'): NmfOptions => fixtureOptions(f, backend);

function expectMatchesFixture(result: NmfResult, f: Fixture): void {
  const e = f.expected;
  expect(result.iterations).toBe(e.iterations);
  expect(result.hChange.length).toBe(e.iterations);
  const report = {
    W: relativeError(result.W.data, e.W.data),
    H: relativeError(result.H.data, e.H.data),
    hChange: relativeError(result.hChange, e.hError),
    wChange: relativeError(result.wChange, e.wError),
    spectralError: relativeError([result.spectralError], [e.VApproxErr]),
  };
  expect(closeTo(result.W.data, e.W.data), `W ${report.W}`).toBe(true);
  expect(closeTo(result.H.data, e.H.data), `H ${report.H}`).toBe(true);
  expect(closeTo(result.hChange, e.hError), `hChange ${report.hChange}`).toBe(true);
  expect(closeTo(result.wChange, e.wError), `wChange ${report.wChange}`).toBe(true);
  expect(closeTo([result.spectralError], [e.VApproxErr]), `spectralError ${report.spectralError}`).toBe(true);
  expect(result.W.rows).toBe(e.W.rows);
  expect(result.W.cols).toBe(e.W.cols);
  expect(result.H.rows).toBe(e.H.rows);
  expect(result.H.cols).toBe(e.H.cols);
  const n = e.iterations;
  const converged = n > 0 && e.hError[n - 1]! < f.input.thresh && e.wError[n - 1]! < f.input.thresh;
  expect(result.converged).toBe(converged);
  expect(result.stopReason).toBe(converged ? 'tol' : 'maxIter');
}

const fixtures = loadFixtures();

describe.each(BACKENDS)('libfmp fixtures on %s', (backend) => {
  it('has all twelve fixtures to check', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(12);
  });

  it.skipIf(!backendAvailable(backend)).each(fixtures.map((f) => [f.name, f] as const))('%s (nmfSync)', (_name, f) => {
    const result = nmfSync(f.input.V, optionsOf(f, backend));
    expect(result.backend).toBe(backend);
    expectMatchesFixture(result, f);
  });

  it.skipIf(!backendAvailable(backend)).each(fixtures.map((f) => [f.name, f] as const))('%s (nmf)', async (_name, f) => {
    const result = await nmf(f.input.V, optionsOf(f, backend));
    expect(result.backend).toBe(backend);
    expectMatchesFixture(result, f);
  });

  // The fused sweep over blocks of V's rows: one block of all rows (blockRows 0: sized for L2, capped at K), and
  // blocks of 3 rows (several blocks and a remainder block on every fixture with K ≥ 4).
  it.skipIf(!backendAvailable(backend)).each(
    fixtures.flatMap(
      (f) =>
        [
          [f.name, 0, f],
          [f.name, 3, f],
        ] as const,
    ),
  )('%s (fused kernel, blockRows %i)', (_name, blockRows, f) => {
    const result = fitWithBlockRows(f.input.V, optionsOf(f, backend), blockRows);
    expect(result.backend).toBe(backend);
    expectMatchesFixture(result, f);
  });

  it.skipIf(!backendAvailable(backend)).each(fixtures.map((f) => [f.name, f] as const))('%s (fused kernel, nmf)', async (_name, f) => {
    const result = await fitWithBlockRowsAsync(f.input.V, optionsOf(f, backend), 2);
    expectMatchesFixture(result, f);
  });

  it.skipIf(!backendAvailable(backend)).each(fixtures.map((f) => [f.name, f] as const))('%s (plain kernel forced)', (_name, f) => {
    expectMatchesFixture(fitWithBlockRows(f.input.V, optionsOf(f, backend), 0), f);
  });

  it.skipIf(!backendAvailable(backend))('all-zero V gives zeros and no NaN', () => {
    const f = fixtures.find((x) => x.name === 'all-zero-5x6-r2')!;
    const result = nmfSync(f.input.V, optionsOf(f, backend));
    for (const x of [...result.W.data, ...result.H.data, result.spectralError, result.frobeniusError]) {
      expect(Number.isNaN(x)).toBe(false);
    }
    expect(result.frobeniusError).toBe(0);
  });

  it.skipIf(!backendAvailable(backend))('frobeniusError is ‖V − WH‖_F of the returned factors', () => {
    const f = fixtures.find((x) => x.name === 'spectrogram-129x80-r4')!;
    const result = nmfSync(f.input.V, optionsOf(f, backend));
    const approx = result.reconstruct().data;
    let sum = 0;
    for (let i = 0; i < approx.length; i++) sum += (f.input.V.data[i]! - approx[i]!) ** 2;
    expect(relativeError([result.frobeniusError], [Math.sqrt(sum)])).toBeLessThan(1e-12);
    // The spectral norm never exceeds the Frobenius norm and is at least its share of one singular value.
    expect(result.spectralError).toBeLessThanOrEqual(result.frobeniusError * (1 + 1e-12));
    expect(result.spectralError).toBeGreaterThanOrEqual(result.frobeniusError / Math.sqrt(80) - 1e-12);
  });
});
