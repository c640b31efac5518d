/** The fit functions: validate, pick a backend, drive the fit, build the result. Entry points bind a runtime. */
import { abortError, driveAsync, driveSync } from './driver.js';
import { planFit, type FitPlan } from './options.js';
import { buildResult } from './result.js';
import type { Runtime } from './runtime.js';
import type { MatrixInput, NmfOptions, NmfResult } from './types.js';

export interface FitFunctions {
  nmfSync(V: MatrixInput, options: NmfOptions): NmfResult;
  nmf(V: MatrixInput, options: NmfOptions): Promise<NmfResult>;
  /** Runs a validated plan off the main thread once the runtime admits it. */
  fitPlanned(plan: FitPlan): Promise<NmfResult>;
}

export function fitFunctions(runtime: Runtime): FitFunctions {
  function nmfSync(V: MatrixInput, options: NmfOptions): NmfResult {
    const plan = planFit(V, options);
    const backend = runtime.chooseBackend(plan.backend);
    runtime.beforeSync(backend.name);
    const outcome = driveSync(backend.createFit(plan.problem), plan);
    return buildResult(plan, outcome, backend.name);
  }

  async function fitPlanned(plan: FitPlan): Promise<NmfResult> {
    if (plan.signal?.aborted) throw abortError(plan.signal);
    if (runtime.prepare) {
      await runtime.prepare();
      if (plan.signal?.aborted) throw abortError(plan.signal);
    }
    const backend = runtime.chooseBackend(plan.backend);
    return runtime.scheduled(
      backend.name,
      async () => buildResult(plan, await driveAsync(backend.createAsyncFit(plan.problem), plan), backend.name),
      plan.signal,
    );
  }

  async function nmf(V: MatrixInput, options: NmfOptions): Promise<NmfResult> {
    return fitPlanned(planFit(V, options));
  }

  return { nmfSync, nmf, fitPlanned };
}
