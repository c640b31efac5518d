/**
 * A resolved fit specification for tests that call a backend below the facade: libfmp-compatible MU on a
 * rows×cols V with the given rank, every other field at its default, then `changes`.
 */
import type { FitSpec } from '../../src/spec.js';

export function testSpec(rows: number, cols: number, rank: number, changes: Partial<FitSpec> = {}): FitSpec {
  return {
    rows,
    cols,
    rank,
    dtype: 'float64',
    solver: 'mu-euclidean',
    masked: false,
    blockRows: 0,
    beta: 2,
    eps: 2 ** -23,
    tol: 1e-3,
    l1W: 0,
    l2W: 0,
    l1H: 0,
    l2H: 0,
    updateW: true,
    updateH: true,
    stop: 'change',
    errorEvery: 1,
    normalize: 'none',
    ...changes,
  };
}
