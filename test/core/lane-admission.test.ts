/**
 * How fitGroup admits the groups of a runner's lane (src/nmf.ts, with a backend that has lanes, here a fake one): a
 * lane's groups wait for slots through `admit`, and a lane gives up its run (`contended`) only for fits that are no
 * lane's groups, so that the runners of one batch do not make each other's lanes drain while a call made during the
 * batch still gets a slot after one group.
 */
import { describe, expect, it } from 'vitest';
import type { AsyncKernelGroup, Backend, FitProblem, LaneAdmission } from '../../src/contract.js';
import { fitFunctions, type RunnerLane } from '../../src/nmf.js';
import { checkOptions } from '../../src/options.js';
import type { Runtime } from '../../src/runtime.js';

/** A runtime whose slots are handed out by the test, and a backend whose lane records the admission it is given. */
function setup(): { runtime: Runtime; admissions: LaneAdmission[]; release: () => void; waiting: () => number } {
  const queue: (() => void)[] = [];
  const admissions: LaneAdmission[] = [];
  const never = (): never => {
    throw new Error('not used');
  };
  const group = (problems: readonly FitProblem[]): AsyncKernelGroup => ({ done: new Promise(() => {}), cancel: () => problems.length });
  const backend = {
    name: 'native',
    dtypes: ['float64'],
    blockRows: () => 0,
    teamSize: () => 1,
    createFit: never,
    createAsyncFit: never,
    runGroupAsync: group,
    openLane: (admission: LaneAdmission) => {
      admissions.push(admission);
      return { runGroupAsync: group };
    },
    details: () => ({}),
  } as unknown as Backend;
  const runtime: Runtime = {
    chooseBackend: () => backend,
    // Every task waits until the test releases it.
    scheduled: (_backend, task) => new Promise((resolve, reject) => queue.push(() => task().then(resolve, reject))),
    waiting: () => queue.length,
    availableThreads: () => 1,
    beforeSync: () => {},
    matrixAllocator: () => undefined,
    concurrency: () => 2,
    prepare: () => undefined,
  };
  return { runtime, admissions, release: () => queue.shift()!(), waiting: () => queue.length };
}

describe('lane admission (fitGroup with a backend that has lanes)', () => {
  it('counts only the waits of fits that are no lane group as contention', async () => {
    const { runtime, admissions, release, waiting } = setup();
    const fits = fitFunctions(runtime);
    const options = checkOptions({ rank: 1, maxIter: 5, seed: 1, threads: 1, backend: 'native' });
    const plan = (): ReturnType<typeof fits.planAsync> => fits.planAsync({ rows: 2, cols: 2, data: [1, 2, 3, 4] }, options);
    const lane: RunnerLane = {};
    void fits.fitGroup([plan(), plan()], lane);
    expect(admissions).toHaveLength(1);
    const admission = admissions[0]!;
    expect(admission.contended()).toBe(false);
    // A lane's group waiting for a slot (another runner's) is no contention.
    void admission.admit(() => Promise.resolve());
    expect(waiting()).toBe(1);
    expect(admission.contended()).toBe(false);
    // A call of its own waiting for a slot is.
    void runtime.scheduled('native', () => Promise.resolve());
    expect(admission.contended()).toBe(true);
    // Once the lane's group has its slot, only the call waits: still contention; once the call has its slot, none.
    release();
    expect(admission.contended()).toBe(true);
    release();
    expect(admission.contended()).toBe(false);
  });
});
