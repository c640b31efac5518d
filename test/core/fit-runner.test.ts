/**
 * The batch runner (src/fit-runner.ts) against fake fit functions whose groups settle when the test says: a runner
 * plans and submits its next group while the current one runs, is never more than one group ahead, settles every
 * fit in order, and stops submitting after a failure in fail-fast mode.
 */
import { describe, expect, it } from 'vitest';
import { runFits, type FitRun } from '../../src/fit-runner.js';
import type { FitFunctions, Settled } from '../../src/nmf.js';
import type { FitPlan } from '../../src/options.js';
import type { NmfResult } from '../../src/types.js';

interface Submitted {
  readonly indices: number[];
  settle(outcomes?: Settled[]): void;
}

/**
 * Fit functions whose plans are their index and whose groups wait in `submitted` until settled; `large`: plans that
 * run on their own (a time budget makes a fit ungroupable, driver.ts groupable).
 */
function fakeFits(large = false): { fits: FitFunctions; planned: number[]; submitted: Submitted[] } {
  const planned: number[] = [];
  const submitted: Submitted[] = [];
  const planAsync = (V: unknown): FitPlan => {
    planned.push(V as number);
    // Small and groupable: a 4×4 rank-1 fit of 10 iterations, with nothing of the caller's between iterations.
    const spec = { rows: 4, cols: 4, rank: 1, solver: 'mu-euclidean', templateFrames: 1 };
    return { index: V, spec, maxIter: 10, runs: 1, onIteration: undefined, maxTime: large ? 1000 : undefined } as unknown as FitPlan;
  };
  const fitGroup = (plans: readonly FitPlan[]): Promise<Settled[]> =>
    new Promise((resolve) => {
      const indices = plans.map((plan) => (plan as unknown as { index: number }).index);
      const ok = (index: number): Settled => ({ ok: true, value: { iterations: index } as unknown as NmfResult });
      submitted.push({ indices, settle: (outcomes) => resolve(outcomes ?? indices.map(ok)) });
    });
  const unused = (): never => {
    throw new Error('not used by the runner');
  };
  return { fits: { planAsync, fitGroup, nmf: unused, nmfSync: unused, fitPlanned: unused } as FitFunctions, planned, submitted };
}

/** A fail-fast run of `count` fits on one runner, fit i's input being i. */
function runOn(fits: FitFunctions, count: number, settled: FitRun['settled'] = () => {}): Promise<void> {
  return runFits(fits, {
    count,
    concurrency: 1,
    options: () => ({ rank: 1 }),
    sameOptions: true,
    input: (index) => index,
    settle: false,
    settled,
    failure: (_, error) => error as Error,
  });
}

/**
 * Lets the runner's pending microtasks and its pauses (a macrotask at most) run: two turns of the timers, since a
 * pause the runner takes once its slice is used up (EventLoopPause: on a busy machine, at any turn) queues its timer
 * during those microtasks, after the first turn's.
 */
const settleTurn = async (): Promise<void> => {
  for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
};

describe('fit runner', () => {
  it('submits the next group while the current one runs, one group ahead at most, and settles every fit', async () => {
    const { fits, planned, submitted } = fakeFits();
    const settled: number[] = [];
    const done = runOn(fits, 40, (index, outcome) => {
      expect(outcome.ok && outcome.value.iterations).toBe(index);
      settled.push(index);
    });
    await settleTurn();
    // The first group runs and the second is already planned and submitted.
    expect(submitted).toHaveLength(2);
    expect(planned).toEqual([...submitted[0]!.indices, ...submitted[1]!.indices]);
    expect(settled).toEqual([]);
    let finished = 0;
    while (finished < submitted.length) {
      // However long a group takes, the runner holds no more than the group after it.
      await settleTurn();
      expect(submitted.length - finished).toBeLessThanOrEqual(2);
      expect(planned).toEqual(submitted.flatMap((group) => group.indices));
      submitted[finished++]!.settle();
      await settleTurn();
    }
    await done;
    expect(planned).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(settled).toEqual(planned);
    expect(submitted.length).toBeGreaterThan(2);
  });

  it('fail-fast: the group submitted ahead still settles, nothing after it is planned, the failure is thrown', async () => {
    const { fits, planned, submitted } = fakeFits();
    const failure = new Error('fit 0 failed');
    const done = runOn(fits, 40);
    await settleTurn();
    expect(submitted).toHaveLength(2);
    const [first, ahead] = submitted;
    first!.settle(first!.indices.map((index) => (index === 0 ? { ok: false, error: failure } : { ok: true, value: {} as NmfResult })));
    await settleTurn();
    expect(submitted).toHaveLength(2);
    ahead!.settle();
    await expect(done).rejects.toBe(failure);
    expect(submitted).toHaveLength(2);
    expect(planned).toEqual([...first!.indices, ...ahead!.indices]);
  });

  it('plans nothing ahead while a fit that runs on its own runs: its copies may be large', async () => {
    const { fits, planned, submitted } = fakeFits(true);
    const done = runOn(fits, 3);
    for (let i = 0; i < 3; i++) {
      await settleTurn();
      expect(submitted).toHaveLength(i + 1);
      expect(planned).toEqual(Array.from({ length: i + 1 }, (_, j) => j));
      expect(submitted[i]!.indices).toEqual([i]);
      submitted[i]!.settle();
    }
    await done;
  });
});
