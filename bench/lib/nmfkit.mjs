// nmfkit's rows: backend × dtype (× threads for native), timed through the backend contract directly —
// `chooseBackend(name).createFit(problem)` and `fit.run(n, …)` — so only the iterations are in the figure (fit
// creation copies V; `finish`, with its Lanczos error, runs after the timing, for the check only).
//
// Also the GEMM floor (bench/native/gemm-floor.cc's gemmFloor: WᵀV plus V·Hᵀ through the same BLAS) and the
// measured DGEMM/SGEMM peak.
//
// Iteration variants: `--kernels plain,fused` adds rows with the MU Euclidean iteration forced (FitSpec.blockRows:
// 0 reads V twice per iteration; > 0 sweeps V once in blocks of that many rows). A row reports `vPasses`, the
// reads of V per iteration of the iteration it ran.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { EPS, frobeniusResidual } from './problems.mjs';
import { measure } from './timing.mjs';

const DIST = new URL('../../dist/', import.meta.url);

/** Loads the built library (dist/, from `npm run build`). */
export async function loadNmfkit() {
  const select = await import(new URL('entry/node.js', DIST).href);
  const native = await import(new URL('backends/native.js', DIST).href);
  const index = await import(new URL('index.js', DIST).href);
  const { defaultSpec } = await import(new URL('spec.js', DIST).href);
  const { planFit } = await import(new URL('options.js', DIST).href);
  return {
    defaultSpec,
    planFit,
    /** The cores a lone synchronous fit on `backend` may use, as nmfSync asks the runtime (admission.ts). */
    availableThreads: (backend) => select.nodeRuntime.availableThreads(backend, true),
    chooseBackend: select.chooseBackend,
    backendInfo: select.backendInfo,
    setNativeThreads: native.setNativeThreads,
    index,
  };
}

/**
 * The addons the bench calls directly: nmfkit's own (the same file, hence the same module instance, as the native
 * backend loads) for blasInfo, and the bench's (bench/native, built by `npm run build:bench`) for gemmFloor. Both
 * link the same OpenBLAS, so the thread count nmfkit sets is the one gemmFloor runs with.
 */
export function loadAddon() {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const require = createRequire(import.meta.url);
  let nmfkit;
  let bench;
  try {
    nmfkit = require('node-gyp-build')(root);
  } catch {
    return undefined;
  }
  try {
    bench = require(fileURLToPath(new URL('../native/build/Release/nmfkit_bench.node', import.meta.url)));
  } catch {
    bench = undefined;
  }
  return { blasInfo: () => nmfkit.blasInfo(), ...(bench && { gemmFloor: (...args) => bench.gemmFloor(...args) }) };
}

/**
 * threads: 'default', 1, or 'cores' (os.availableParallelism(): every core). Only native rows have a choice; wasm
 * runs on the calling thread, except a row with `workers`: a fit in the worker pool on a team of that many workers
 * (the threaded module over shared memory; createAsyncFit, so the pool's hand-over is in the figure).
 *  - 'default': what nmfSync would run — the fit's team sized by nmfkit (FitSpec.threads from
 *    `planFit(…).problemFor(0, backend, availableThreads)`: the cores for a lone fit, 1 below K·N·R = 2^21;
 *    src/backends/team-size.ts), each member on nmfkit's default BLAS threads (1). Marked `isDefault`; the targets
 *    use it.
 *  - 1: a team of 1 on 1 BLAS thread.
 *  - 'cores': a team of 1 with OpenBLAS on every core (`setNativeThreads`): what BLAS threads alone give.
 */
export const NMFKIT_ROWS = [
  { id: 'native-f64-default', label: 'nmfkit native f64', backend: 'native', dtype: 'float64', threads: 'default' },
  { id: 'native-f64-1t', label: 'nmfkit native f64 1thr', backend: 'native', dtype: 'float64', threads: 1 },
  { id: 'native-f64-mt', label: 'nmfkit native f64 BLAS all cores', backend: 'native', dtype: 'float64', threads: 'cores' },
  { id: 'native-f32-default', label: 'nmfkit native f32', backend: 'native', dtype: 'float32', threads: 'default' },
  { id: 'native-f32-1t', label: 'nmfkit native f32 1thr', backend: 'native', dtype: 'float32', threads: 1 },
  { id: 'native-f32-mt', label: 'nmfkit native f32 BLAS all cores', backend: 'native', dtype: 'float32', threads: 'cores' },
  { id: 'wasm-f64', label: 'nmfkit wasm f64', backend: 'wasm', dtype: 'float64', threads: 1 },
  { id: 'wasm-f64-2w', label: 'nmfkit wasm f64 2 workers', backend: 'wasm', dtype: 'float64', threads: 1, workers: 2 },
  { id: 'wasm-f32', label: 'nmfkit wasm f32', backend: 'wasm', dtype: 'float32', threads: 1 },
];

/**
 * Rows with the MU Euclidean iteration forced (`--kernels plain,fused`): one more row per base row with a team of 1
 * and variant.
 * 'fused' takes the backend's own block rows where it would fuse, else blocks of max(16, 4R) rows.
 */
export function kernelVariantRows(kernels) {
  // On the rows with a team of 1: the fused sweep is a one-thread iteration (src/backends/block-rows.ts).
  const rows = NMFKIT_ROWS.filter((row) => row.threads !== 'default' && !row.workers);
  return kernels.flatMap((kernel) => rows.map((row) => ({ ...row, id: `${row.id}-${kernel}`, label: `${row.label} ${kernel}`, kernel })));
}

/** The dtypes a backend computes in: float64 always; others only when the backend declares them. */
export function backendDtypes(backend) {
  const declared = backend.dtypes ?? backend.details?.()?.dtypes;
  return Array.isArray(declared) ? [...new Set(['float64', ...declared])] : ['float64'];
}

/** The specification's block rows for a row: its forced variant, or the backend's own choice. */
function blockRowsOf(backend, sizes, kernel) {
  if (kernel === 'plain') return 0;
  const own = backend.blockRows(sizes);
  if (kernel === 'fused') return own > 0 ? own : Math.min(sizes.rows, Math.max(16, 4 * sizes.rank));
  return own;
}

/**
 * The team nmfSync gives a fit of V (a matrix) with these options on `backend` (a Backend) at nmfkit's defaults:
 * `planFit(…).problemFor(0, backend, availableThreads)`, as src/nmf.ts does.
 */
export function defaultTeam(lib, backend, V, options) {
  const plan = lib.planFit(V, options, { mode: 'sync' });
  return plan.problemFor(0, backend, lib.availableThreads(backend.name)).problem.spec.threads;
}

/** defaultTeam of a row's problem: the libfmp-compatible MU from W0/H0. */
function rowTeam(lib, backend, problem, data, dtype) {
  const matrix = (rows, cols, values) => ({ rows, cols, data: values });
  return defaultTeam(lib, backend, matrix(problem.K, problem.N, data.V), {
    rank: problem.R,
    W: matrix(problem.K, problem.R, data.W0),
    H: matrix(problem.R, problem.N, data.H0),
    dtype,
    eps: EPS,
    tol: 0,
  });
}

/** The FitProblem of a row: the libfmp-compatible MU Euclidean iteration, tol 0, no stop before n iterations. */
function fitProblem(lib, backend, problem, data, spec, team) {
  const sizes = { rows: problem.K, cols: problem.N, rank: problem.R, dtype: spec.dtype, threads: team };
  return {
    spec: lib.defaultSpec(sizes.rows, sizes.cols, sizes.rank, {
      dtype: sizes.dtype,
      blockRows: blockRowsOf(backend, sizes, spec.kernel),
      threads: team,
      eps: EPS,
      tol: 0,
    }),
    V: data.V,
    W: data.W0,
    H: data.H0,
    mask: null,
    fixedColumnsW: new Uint8Array(problem.R),
  };
}

/** BLAS threads of a row; `ctx` = { cores, defaultThreads } (defaultThreads: nmfkit's BLAS threads at startup). */
function threadCount(spec, ctx) {
  return spec.threads === 'cores' ? ctx.cores : spec.threads === 'default' ? ctx.defaultThreads : spec.threads;
}

/** Times one nmfkit row on one problem; returns a row record (status 'ok' or 'n/a'). */
export async function runNmfkitRow(lib, addon, spec, problem, data, n, policy, ctx) {
  const base = { id: spec.id, label: spec.label, kind: 'nmfkit', backend: spec.backend, dtype: spec.dtype };
  let backend;
  try {
    backend = lib.chooseBackend(spec.backend);
  } catch (error) {
    return { ...base, status: 'n/a', note: `${spec.backend} backend not available: ${error.message.split('. Fix:')[0]}` };
  }
  if (!backendDtypes(backend).includes(spec.dtype)) {
    return { ...base, status: 'n/a', note: `${spec.backend} backend does not compute in ${spec.dtype} yet` };
  }
  if (spec.supported && !spec.supported(backend, problem)) {
    return { ...base, status: 'n/a', note: `${spec.label} is not available for this problem` };
  }
  if (spec.threads === 'cores' && ctx.cores === 1) return { ...base, status: 'n/a', note: 'one core: same as the 1-thread row' };
  const threads = spec.backend === 'native' ? threadCount(spec, ctx) : 1;
  // The fit's own team (native/team.h): nmfkit's choice on the default rows, else 1.
  const team = spec.workers ?? (spec.threads === 'default' ? rowTeam(lib, backend, problem, data, spec.dtype) : 1);
  if (spec.threads === 'default') base.isDefault = true;
  if (spec.backend === 'native') lib.setNativeThreads(threads);
  try {
    const hChange = new Float64Array(n);
    const wChange = new Float64Array(n);
    const fitSpec = fitProblem(lib, backend, problem, data, spec, team).spec;
    const vPasses = fitSpec.blockRows > 0 ? 1 : 2;
    let check;
    let observedThreads = threads;
    // Once per row: finish() (Lanczos) and the JS residual cost seconds on the large problems.
    const checkOf = (out) => ({
      frobenius: frobeniusResidual(data.V, out.W, out.H, problem.K, problem.N, problem.R),
      kernelFrobenius: out.frobeniusError,
    });
    const runInWorkers = async (iterations) => {
      // The pool takes (detaches) the problem's arrays: copies of them.
      const given = fitProblem(lib, backend, problem, data, spec, team);
      const fit = backend.createAsyncFit({ ...given, V: given.V.slice(), W: given.W.slice(), H: given.H.slice() });
      try {
        // The first iteration untimed (the fit created in its worker, its helpers hired), the others timed and
        // scaled to `iterations`: the fit still runs `iterations` in all, as the check expects.
        const warm = iterations > 1 ? await fit.runAsync(1, hChange, wChange, 0) : 0;
        const t0 = performance.now();
        const done = warm + (await fit.runAsync(iterations - warm, hChange, wChange, warm));
        const seconds = ((performance.now() - t0) / 1000) * (iterations / (iterations - warm));
        if (done !== iterations) throw new Error(`ran ${done} of ${iterations} iterations with tol = 0`);
        if (iterations === n && !check) check = checkOf(await fit.finishAsync());
        return seconds;
      } finally {
        fit.dispose();
      }
    };
    const runOnce = (iterations) => {
      if (spec.workers) return runInWorkers(iterations);
      const fit = backend.createFit(fitProblem(lib, backend, problem, data, spec, team));
      try {
        // The BLAS threads really in force (a backend that picks threads per fit would override the row's).
        if (spec.backend === 'native' && typeof addon?.blasInfo === 'function') observedThreads = addon.blasInfo().threads;
        const t0 = performance.now();
        const done = fit.run(iterations, hChange, wChange, 0);
        const seconds = (performance.now() - t0) / 1000;
        if (done !== iterations) throw new Error(`ran ${done} of ${iterations} iterations with tol = 0`);
        if (iterations === n && !check) check = checkOf(fit.finish());
        return seconds;
      } finally {
        fit.dispose();
      }
    };
    const timing = await measure(runOnce, n, policy);
    const threadNote =
      observedThreads !== threads ? { threadsNote: `asked for ${threads} BLAS thread(s), the fit ran with ${observedThreads}` } : {};
    return {
      ...base,
      vPasses,
      // Cores the row computes on: its team × the BLAS threads of each member.
      threads: team * observedThreads,
      team,
      blasThreads: observedThreads,
      status: 'ok',
      ...timing,
      check,
      ...threadNote,
      ...(spec.kernel && { kernel: spec.kernel, blockRows: fitSpec.blockRows }),
    };
  } finally {
    if (spec.backend === 'native') lib.setNativeThreads(ctx.defaultThreads);
  }
}

/** The GEMM floor rows: WᵀV + V·Hᵀ through the native backend's BLAS, at 1 thread and on all cores. */
export const FLOOR_ROWS = [
  { id: 'floor-f64-1t', label: 'BLAS floor f64 1thr (WᵀV+VHᵀ)', dtype: 'float64', threads: 1 },
  { id: 'floor-f64-mt', label: 'BLAS floor f64 all cores', dtype: 'float64', threads: 'cores' },
  { id: 'floor-f32-1t', label: 'BLAS floor f32 1thr', dtype: 'float32', threads: 1 },
  { id: 'floor-f32-mt', label: 'BLAS floor f32 all cores', dtype: 'float32', threads: 'cores' },
];

/** Median seconds of one gemmFloor pair, with reps chosen for ~`budget` seconds. */
function gemmFloorSeconds(addon, K, N, R, dtype, budget, maxReps = 1000) {
  const estimate = addon.gemmFloor(K, N, R, 1, dtype);
  const reps = Math.min(maxReps, Math.max(3, Math.floor(budget / Math.max(estimate, 1e-9))));
  return { seconds: addon.gemmFloor(K, N, R, reps, dtype), reps };
}

export function runFloorRow(lib, addon, spec, problem, policy, ctx) {
  const base = { id: spec.id, label: spec.label, kind: 'floor', backend: 'native', dtype: spec.dtype };
  if (typeof addon?.gemmFloor !== 'function') {
    return { ...base, status: 'n/a', note: 'no gemmFloor: the bench addon is not built (npm run build:bench)' };
  }
  if (spec.threads === 'cores' && ctx.cores === 1) return { ...base, status: 'n/a', note: 'one core: same as the 1-thread row' };
  const threads = threadCount(spec, ctx);
  lib.setNativeThreads(threads);
  try {
    const { seconds, reps } = gemmFloorSeconds(addon, problem.K, problem.N, problem.R, spec.dtype, policy.budget / 2);
    return { ...base, threads, vPasses: 2, status: 'ok', iterations: 1, warmups: 2, repeats: reps, secondsPerIteration: seconds };
  } finally {
    lib.setNativeThreads(ctx.defaultThreads);
  }
}

/**
 * Measured GEMM peak: gemmFloor(n, n, n) is two square n×n products, 4n³ flops. The best of 5 single timings (a
 * peak is what the machine can do, so the best, not the median), per dtype@threads, in GFLOP/s.
 */
export function measurePeaks(lib, addon, quick, ctx) {
  if (typeof addon?.gemmFloor !== 'function') return { note: 'not measured: the bench addon is not built (npm run build:bench)' };
  const n = quick ? 512 : 1536;
  const tries = quick ? 2 : 5;
  const peaks = { method: `best of ${tries} timings of gemmFloor(${n}, ${n}, ${n}): two square ${n}×${n} GEMMs, 4n³ flops`, size: n };
  for (const dtype of ['float64', 'float32']) {
    for (const threads of [...new Set([1, ctx.cores])]) {
      lib.setNativeThreads(threads);
      const seconds = Math.min(...Array.from({ length: tries }, () => addon.gemmFloor(n, n, n, 1, dtype)));
      peaks[`${dtype}@${threads}`] = { gflops: (4 * n ** 3) / seconds / 1e9, seconds, threads };
    }
  }
  lib.setNativeThreads(ctx.defaultThreads);
  return peaks;
}
