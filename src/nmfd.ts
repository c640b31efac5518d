/**
 * `nmfd` and `nmfdSync`: convolutive NMF (docs/algorithms.md §13) on the same driver and backends as `nmf` — validate
 * once (src/nmfd-options.ts), pick a backend, drive the fit in chunks, build the result.
 */
import { abortError, driveAsync, driveSync, type DriverOutcome } from './driver.js';
import { rangeError, typeError } from './errors.js';
import { planNmfd } from './nmfd-options.js';
import type { NmfdOptions, NmfdResult } from './nmfd-types.js';
import type { FitPlan } from './options.js';
import { componentFlags, notComputable } from './result.js';
import type { Runtime } from './runtime.js';
import type { BackendName, Matrix, MatrixInput } from './types.js';
import { describe, isArray, readList, readOwnProperty, toMatrix } from './validate.js';

export type NmfdSync = (V: MatrixInput, options: NmfdOptions) => NmfdResult;
export type Nmfd = (V: MatrixInput, options: NmfdOptions) => Promise<NmfdResult>;

export function nmfdFunctions(runtime: Runtime): { readonly nmfdSync: NmfdSync; readonly nmfd: Nmfd } {
  function nmfdSync(V: MatrixInput, options: NmfdOptions): NmfdResult {
    const plan = planNmfd(V, options, { mode: 'sync' });
    const backend = runtime.chooseBackend(plan.backend);
    runtime.beforeSync(backend.name);
    const { problem } = plan.problemFor(0, backend, runtime.availableThreads(backend.name, true));
    return buildNmfdResult(plan, driveSync(backend.createFit(problem), plan), backend.name);
  }

  async function nmfd(V: MatrixInput, options: NmfdOptions): Promise<NmfdResult> {
    const plan = planNmfd(V, options, { mode: 'async' });
    if (plan.signal?.aborted) throw abortError(plan.signal);
    const preparing = runtime.prepare();
    if (preparing) {
      await preparing;
      if (plan.signal?.aborted) throw abortError(plan.signal);
    }
    const backend = runtime.chooseBackend(plan.backend);
    return runtime.scheduled(
      backend.name,
      async () => {
        const { problem } = plan.problemFor(0, backend, runtime.availableThreads(backend.name, false));
        return buildNmfdResult(plan, await driveAsync(backend.createAsyncFit(problem), plan), backend.name);
      },
      plan.signal,
    );
  }

  return { nmfdSync, nmfd };
}

/** The templates R matrices K×T from the kernels' T stacked K×R matrices. */
function unstackTemplates(W: ArrayLike<number>, K: number, R: number, T: number): Matrix[] {
  const templates: Matrix[] = [];
  for (let r = 0; r < R; r++) {
    const data = new Float64Array(K * T);
    for (let k = 0; k < K; k++) for (let t = 0; t < T; t++) data[k * T + t] = W[(t * K + k) * R + r]!;
    templates.push({ rows: K, cols: T, data });
  }
  return templates;
}

/** Λ = Σ_r∈use Σ_t W_r[:, t]·shift(H[r, :], t), K×N. */
function convolve(W: readonly Matrix[], H: Matrix, use: Uint8Array | undefined): Matrix {
  const K = W[0]!.rows;
  const T = W[0]!.cols;
  const N = H.cols;
  const out = new Float64Array(K * N);
  W.forEach((template, r) => {
    if (use && use[r] === 0) return;
    for (let k = 0; k < K; k++) {
      for (let t = 0; t < T; t++) {
        const w = template.data[k * T + t]!;
        if (w === 0) continue;
        for (let n = t; n < N; n++) out[k * N + n]! += w * H.data[r * N + n - t]!;
      }
    }
  });
  return { rows: K, cols: N, data: out };
}

function buildNmfdResult(plan: FitPlan, outcome: DriverOutcome, backend: BackendName): NmfdResult {
  const { rows: K, cols: N, rank: R, templateFrames: T } = plan.spec;
  const kernel = outcome.kernel;
  for (const name of ['frobeniusError', 'objective'] as const) {
    if (!Number.isFinite(kernel[name])) throw notComputable(plan, name, kernel[name]);
  }
  for (const [name, data] of [
    ['W', kernel.W],
    ['H', kernel.H],
  ] as const) {
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) throw notComputable(plan, `${name}.data[${bad}]`, data[bad]!);
  }
  const W = unstackTemplates(kernel.W, K, R, T);
  const H: Matrix = { rows: R, cols: N, data: Float64Array.from(kernel.H) };
  const result = {
    W,
    H,
    templateFrames: T,
    iterations: outcome.iterations,
    converged: outcome.stopReason === 'tol',
    stopReason: outcome.stopReason,
    hChange: outcome.hChange,
    wChange: outcome.wChange,
    frobeniusError: kernel.frobeniusError,
    objective: kernel.objective,
    objectiveHistory: outcome.objectiveHistory,
    backend,
    seed: plan.seed,
  };
  return Object.defineProperty(result, 'reconstruct', {
    value: (components?: number | readonly number[]): Matrix => convolve(W, H, componentFlags(components, R)),
    enumerable: false,
    writable: true,
    configurable: true,
  }) as typeof result & Pick<NmfdResult, 'reconstruct'>;
}

/**
 * Λ of an NMFD result (of nmfd or nmfdSync, or a structured clone of one: W an array of R templates K×T, H R×N), or
 * with `components` the convolutive reconstruction V̂_r of those components only (libnmfd's per-component
 * spectrograms, without its eps). Validated like every argument.
 */
export function reconstructNmfd(
  result: { readonly W: readonly MatrixInput[]; readonly H: MatrixInput },
  components?: number | readonly number[],
): Matrix {
  if (result === null || typeof result !== 'object') {
    throw typeError('NMFKIT_INVALID_TYPE', `result must be a result of nmfd ({ W, H, … }), got ${describe(result)}`);
  }
  const rawW = readOwnProperty('result.W', result, 'W');
  if (!isArray(rawW)) throw typeError('NMFKIT_INVALID_TYPE', `result.W must be an array of templates, got ${describe(rawW)}`);
  const H = toMatrix('result.H', readOwnProperty('result.H', result, 'H'));
  const list = readList(
    'result.W',
    rawW,
    'an array of templates',
    H.rows,
    (n) => `result.W has ${n} templates, result.H has ${H.rows} rows`,
  );
  if (list.length !== H.rows) {
    throw rangeError('NMFKIT_INVALID_VALUE', `result.W has ${list.length} templates, result.H has ${H.rows} rows: they must agree`);
  }
  const W = list.map((t, r) => toMatrix(`result.W[${r}]`, t));
  W.forEach((m, r) => {
    if (m.rows !== W[0]!.rows || m.cols !== W[0]!.cols || m.cols > H.cols) {
      throw rangeError(
        'NMFKIT_INVALID_VALUE',
        `result.W[${r}] is ${m.rows}×${m.cols}: every template must be ${W[0]!.rows}×${W[0]!.cols}, with at most ${H.cols} frames`,
      );
    }
  });
  return convolve(W, H, componentFlags(components, H.rows));
}
