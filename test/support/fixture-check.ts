/**
 * The toy fixture fitted in a child process (test/packaging/): the assertions on what the programs' `check`
 * (test/programs/fixture-check.cjs) returned.
 */
import { expect } from 'vitest';

/** What `check` of test/programs/fixture-check.cjs returns. */
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
