/**
 * A group of fits (Backend.runGroupAsync) as a sequence of a backend's async fits, each on requests of its own: for
 * a host that has no request for a whole group. The results are those of the group request, only slower.
 */
import type { AsyncKernelFit, AsyncKernelGroup, FitProblem, GroupFitRun } from '../contract.js';
import { plainError } from '../errors.js';

export function fitSequence(
  createAsyncFit: (problem: FitProblem) => AsyncKernelFit,
  problems: readonly FitProblem[],
  maxIter: number,
): AsyncKernelGroup {
  let cancelled = false;
  let current: AsyncKernelFit | undefined;

  const runOne = async (problem: FitProblem): Promise<GroupFitRun> => {
    const fit = createAsyncFit(problem);
    current = fit;
    try {
      const hChange = new Float64Array(maxIter);
      const wChange = new Float64Array(maxIter);
      const objective = new Float64Array(maxIter);
      let executed = 0;
      let converged = false;
      while (executed < maxIter && !cancelled) {
        const ran = await fit.runAsync(maxIter - executed, hChange, wChange, executed, objective);
        executed += ran;
        converged = ran > 0 && fit.converged();
        if (converged || ran === 0) break;
      }
      const result = await fit.finishAsync();
      return {
        executed,
        converged,
        hChange: hChange.subarray(0, executed),
        wChange: wChange.subarray(0, executed),
        objective: objective.subarray(0, executed),
        result,
      };
    } finally {
      current = undefined;
      fit.dispose();
    }
  };

  const done = (async () => {
    const runs: (GroupFitRun | Error)[] = [];
    for (const problem of problems) {
      if (cancelled) runs.push(plainError('NMFKIT_INVALID_STATE', 'nmfkit: the fit was cancelled before it ran'));
      else runs.push(await runOne(problem).catch((error: unknown) => error as Error));
    }
    return runs;
  })();
  return {
    done,
    cancel: () => {
      cancelled = true;
      current?.cancel();
    },
  };
}
