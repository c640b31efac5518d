/**
 * The toy fixture fitted in a child process (test/load-failure.test.ts, test/packaging.test.ts): a script snippet
 * that defines `opts` and `check(result)` once `f` holds the fixture, and the assertions on what `check` returned.
 */
import { expect } from 'vitest';

/** Script text: with the fixture in `f`, `opts` replays it and `check(r)` reports how close a result came. */
export const FIXTURE_CHECK = `
  const opts = { rank: 2, W: f.input.W0, H: f.input.H0, tol: f.input.thresh, maxIter: f.input.maxIter };
  const rel = (got, want) => { let d = 0, n = 0; got.forEach((x, i) => { d += (x - want[i]) ** 2; n += want[i] ** 2; }); return Math.sqrt(d / n); };
  const check = (r) => ({ backend: r.backend, iterations: r.iterations, expected: f.expected.iterations,
    relW: rel(r.W.data, f.expected.W.data), relH: rel(r.H.data, f.expected.H.data) });
`;

/** What `check` returns. */
export interface FitCheck {
  backend: string;
  iterations: number;
  expected: number;
  relW: number;
  relH: number;
}

/** The fixture was reproduced (1e-9), by `backend` when given. */
export function expectFixture(fit: FitCheck, backend?: string): void {
  if (backend) expect(fit.backend).toBe(backend);
  expect(fit.iterations).toBe(fit.expected);
  expect(fit.relW).toBeLessThan(1e-9);
  expect(fit.relH).toBeLessThan(1e-9);
}
