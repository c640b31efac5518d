/** The process warnings a test file's tests emit, for checking that none of a kind was (TimeoutOverflowWarning…). */
import { afterAll, afterEach, beforeAll } from 'vitest';

/** The warnings emitted during the current test (emptied after each); call at the top level of a test file. */
export function recordWarnings(): Error[] {
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  beforeAll(() => void process.on('warning', onWarning));
  afterAll(() => void process.off('warning', onWarning));
  afterEach(() => void (warnings.length = 0));
  return warnings;
}

/** Lets a pending warning be emitted (process warnings are emitted on the next tick). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
