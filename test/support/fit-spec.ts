/**
 * A resolved fit specification for tests that call a backend below the facade: libfmp-compatible MU on a
 * rows×cols V with the given rank (src/spec.ts, defaultSpec), then `changes`.
 */
import { defaultSpec, type FitSpec } from '../../src/spec.js';

export function testSpec(rows: number, cols: number, rank: number, changes: Partial<FitSpec> = {}): FitSpec {
  return defaultSpec(rows, cols, rank, changes);
}
