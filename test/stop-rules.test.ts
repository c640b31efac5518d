/** src/stop-rules.ts: the three stop rules and the objective history, against the reference fit loop. */
import { describe, expect, it } from 'vitest';
import { changeConverged, defaultErrorEvery, isCheckpoint, ObjectiveHistory, objectiveConverged } from '../src/stop-rules.js';
import { randomMatrix } from './helpers.js';
import { fit } from './reference/fit.js';
import { copy, mat } from './reference/linalg.js';
import { muIteration } from './reference/mu.js';
import { objective } from './reference/objective.js';

describe('stop rules', () => {
  it('the tests themselves', () => {
    expect(changeConverged(0.1, 0.2, 0.3)).toBe(true);
    expect(changeConverged(0.1, 0.3, 0.3)).toBe(false);
    expect(objectiveConverged(10, 9.99, 1e-2)).toBe(true);
    expect(objectiveConverged(10, 9, 1e-2)).toBe(false);
    expect(objectiveConverged(10, 11, 1e-2)).toBe(true); // an increase stops
    expect(objectiveConverged(0, 0, 1e-2)).toBe(true);
    expect(defaultErrorEvery(2)).toBe(1);
    expect(defaultErrorEvery(1)).toBe(10);
    expect(defaultErrorEvery(0)).toBe(10);
    expect([1, 2, 3, 4, 5, 6].filter((i) => isCheckpoint(i, 3))).toEqual([3, 6]);
  });

  it('ObjectiveHistory records checkpoints and the last iteration, and fires the objective rule', () => {
    const h = new ObjectiveHistory('objective', 0.01, 5);
    expect(h.record(0, 100)).toBe(false);
    expect(h.wants(3, false)).toBe(false);
    expect(h.wants(5, false)).toBe(true);
    expect(h.record(5, 50)).toBe(false);
    expect(h.record(10, 49.9)).toBe(true);
    expect(h.iterations).toEqual([0, 5, 10]);
    expect(h.latest).toBe(49.9);
    expect(h.wants(12, true)).toBe(true);
    expect(h.wants(10, true)).toBe(false);
    expect(() => h.record(10, 1)).toThrow(RangeError);
    expect(() => new ObjectiveHistory('none', 0, 0)).toThrow(RangeError);
    const none = new ObjectiveHistory('none', 1e9, 1);
    expect(none.record(0, 1)).toBe(false);
    expect(none.record(1, 1)).toBe(false);
  });

  it.each(['kl', 'euclidean'] as const)('driving a fit with ObjectiveHistory stops where the reference loop does (%s)', (loss) => {
    const V = mat(10, 14, randomMatrix(10, 14, 1).data);
    const W0 = mat(10, 3, randomMatrix(10, 3, 2).data);
    const H0 = mat(3, 14, randomMatrix(3, 14, 3).data);
    const tol = 1e-3;
    const every = loss === 'kl' ? defaultErrorEvery(1) : defaultErrorEvery(2);
    const ref = fit(V, W0, H0, { loss, stop: 'objective', tol, maxIter: 3000 });

    const W = copy(W0);
    const H = copy(H0);
    const history = new ObjectiveHistory('objective', tol, every);
    history.record(0, objective(V, W, H, { loss }));
    let iterations = 0;
    for (let i = 1; i <= 3000; i++) {
      muIteration(V, W, H, { loss });
      iterations = i;
      if (history.wants(i, false) && history.record(i, objective(V, W, H, { loss }))) break;
    }
    expect(iterations).toBe(ref.iterations);
    expect(ref.stopReason).toBe('tol');
    expect(history.iterations).toEqual(ref.history.map((x) => x.iteration));
    expect(history.values).toEqual(ref.history.map((x) => x.value));
  });
});
