// Time to solution: whole calls of nmfkit's public API against scikit-learn's whole `fit_transform`, from the
// same V, W0, H0 and for the same iteration count, in one run (`--solution`, on by default; PERFORMANCE.md,
// "Method"). And time to a target objective (`--target PROBLEM`): how long nmfkit's HALS (plain and accelerated)
// and MU take to reach the objective scikit-learn's `cd` reaches in 200 iterations, against that `cd` call.
//
// nmfkit runs at its defaults — the team of threads nmfkit chooses (a lone fit gets the cores), default errorEvery
// and spectralError — with `stop: 'none'` so that it runs exactly the iterations scikit-learn runs with tol = 0;
// a second row per backend with `spectralError: false`, the work scikit-learn does (it computes no spectral norm).
// Every cell is timed with `measure` (timing.mjs) over whole calls: the figure is the median call.
import { ALGORITHMS, MASK_ZEROS } from './algorithms.mjs';
import { defaultTeam } from './nmfkit.mjs';
import { QUICK_DIVISOR, generateData, generateMask } from './problems.mjs';
import { pythonBlasThreads, removeData, runPythonFits, writeData } from './python.mjs';
import { measure, median } from './timing.mjs';

/** Iterations of the libfmp-compatible MU and HALS per call, per problem: a call of ~0.2–2 s on the big ones. */
export const SOLUTION_ITERATIONS = { tiny: 100, small: 100, spectrogram: 100, large: 10, wide: 20 };

/**
 * The algorithms (bench/lib/algorithms.mjs's definitions and peers), each with the share of the problem's
 * iterations it runs (KL, β = 0.5 and the mask cost 4–20 Euclidean iterations each). The Euclidean ones run on
 * every problem, the others on the spectrogram problem (with --quick: the run's first problem).
 */
export const SOLUTION_ALGORITHMS = [
  { id: 'mu-euclidean', share: 1, everywhere: true },
  { id: 'hals', share: 1, everywhere: true },
  { id: 'mu-kl', share: 0.2 },
  { id: 'mu-beta-0.5', share: 0.05 },
  { id: 'mu-mask', share: 0.2 },
].map((a) => ({ ...ALGORITHMS.find((b) => b.id === a.id), ...a }));

/**
 * nmfkit's calls: nmfSync on both backends, await nmf() on native; each at the defaults and with `spectralError:
 * false` ('no spectral': the final ‖V − WH‖₂ skipped, as scikit-learn computes none).
 */
export const SOLUTION_CALLS = [
  { id: 'sync-native', label: 'nmfSync native', call: 'nmfSync', backend: 'native', spectralError: true },
  { id: 'sync-native-fro', label: 'nmfSync native, no spectral', call: 'nmfSync', backend: 'native', spectralError: false },
  { id: 'sync-wasm', label: 'nmfSync wasm', call: 'nmfSync', backend: 'wasm', spectralError: true },
  { id: 'sync-wasm-fro', label: 'nmfSync wasm, no spectral', call: 'nmfSync', backend: 'wasm', spectralError: false },
  { id: 'nmf-native', label: 'await nmf native', call: 'nmf', backend: 'native', spectralError: true },
  { id: 'nmf-native-fro', label: 'await nmf native, no spectral', call: 'nmf', backend: 'native', spectralError: false },
];

export const SOLUTION_DTYPES = ['float64', 'float32'];

const matrix = (rows, cols, data) => ({ rows, cols, data });

/** A problem's V, W0, H0 (and mask) as nmfkit's matrices. */
function inputs(problem, data, mask) {
  const { K, N, R } = problem;
  return {
    V: matrix(K, N, data.V),
    common: { rank: R, W: matrix(K, R, data.W0), H: matrix(R, N, data.H0), stop: 'none' },
    mask: mask && matrix(K, N, mask),
  };
}

/**
 * Times whole calls of `iterations` iterations (`measure`: its probe and warm-up calls run fewer); returns the
 * timing, secondsPerCall (the median call), and the objective of an n-iteration call's result.
 */
async function timeCalls(api, call, V, options, n, policy) {
  let objective;
  const runOnce = async (iterations) => {
    const opts = { ...options, maxIter: iterations };
    const t0 = performance.now();
    const result = call === 'nmf' ? await api.nmf(V, opts) : api.nmfSync(V, opts);
    const seconds = (performance.now() - t0) / 1000;
    if (result.iterations !== iterations) throw new Error(`ran ${result.iterations} of ${iterations} iterations with stop 'none'`);
    if (iterations === n) objective = result.objective;
    return seconds;
  };
  const timing = await measure(runOnce, n, policy);
  return { ...timing, secondsPerCall: median(timing.seconds), minSecondsPerCall: Math.min(...timing.seconds), objective };
}

/** What a peer runs, in words. */
function peerLabel(alg, python) {
  const v = (name, version) => (version ? `${name} ${version}` : name);
  if (alg.peer.solver === 'numpy-masked') return `${v('numpy', python.chosen?.numpy)} masked MU loop`;
  const beta = typeof alg.peer.betaLoss === 'string' ? `'${alg.peer.betaLoss}'` : alg.peer.betaLoss;
  return `${v('scikit-learn', python.chosen?.sklearn)} fit_transform, solver='${alg.peer.solver}', beta_loss=${beta}`;
}

/** The request for peers.py's whole calls. */
const peerFit = (id, alg, dtype, iterations) => ({ id, beta: alg.beta, ...alg.peer, dtype, iterations });

/** Runs the peers' whole calls; returns { id: result } (a failure becomes { error } for each). */
function peerResults(python, problem, dir, policy, fits) {
  if (!dir) return Object.fromEntries(fits.map((f) => [f.id, { skipped: python.note ?? 'no Python with scikit-learn' }]));
  const out = runPythonFits(python, problem, dir, policy, fits);
  return Object.fromEntries(fits.map((f) => [f.id, out.failure ? { error: out.failure } : (out[f.id] ?? { error: 'no result' })]));
}

/** A peer's row from its result. */
function peerRow(base, r, dtype) {
  if (r.skipped) return { ...base, status: 'skipped', note: r.skipped };
  if (r.error) return { ...base, status: 'error', note: r.error };
  // A peer that did not compute in the row's dtype would be no comparison: scikit-learn keeps float32 input.
  if (r.computedDtype !== dtype) return { ...base, status: 'error', note: `computed in ${r.computedDtype}, not ${dtype}`, ...r };
  return { ...base, status: 'ok', ...r, secondsPerCall: median(r.seconds), minSecondsPerCall: Math.min(...r.seconds) };
}

/**
 * The time-to-solution part over the run's problems (definitions with their names, K, N, R). `extrasOn`: the
 * problem the non-Euclidean algorithms run on. Returns the record for latest.json: { iterations, calls, dtypes,
 * algorithms, problems, rows } with one row per problem × algorithm × dtype × call, and the peer's.
 */
export async function runSolution({ lib, info, python, problems, extrasOn, quick, policy, progress, guard }) {
  const api = lib.index;
  const rows = [];
  const records = [];
  const iterationsOf = (problem, alg) => {
    const base = SOLUTION_ITERATIONS[problem.name] ?? 100;
    const n = Math.max(1, Math.round(base * alg.share));
    return quick ? Math.max(1, Math.round(n / QUICK_DIVISOR)) : n;
  };
  for (const problem of problems) {
    const algorithms = SOLUTION_ALGORITHMS.filter((a) => a.everywhere || problem.name === extrasOn);
    progress(`solution: ${problem.name}: generating data`);
    const data = generateData(problem);
    const M = algorithms.some((a) => a.masked) ? generateMask(problem, MASK_ZEROS) : undefined;
    const { V, common, mask } = inputs(problem, data, M);
    // float32 rows get V as float32 data, as scikit-learn's float32 rows do (and as a float32 user has it).
    const inputOf = { float64: V, float32: { rows: V.rows, cols: V.cols, data: Float32Array.from(V.data) } };
    const team = info.native.loaded ? defaultTeam(lib, lib.chooseBackend('native'), V, common) : null;
    records.push({ name: problem.name, K: problem.K, N: problem.N, R: problem.R, nativeTeam: team });
    const dir = python.chosen?.sklearn ? writeData(M ? { ...data, M } : data) : undefined;
    try {
      // One Python process per algorithm (per problem with --quick): each row measured within a minute or two.
      for (const group of quick ? [algorithms] : algorithms.map((a) => [a])) {
        const fits = [];
        for (const alg of group) {
          const n = iterationsOf(problem, alg);
          for (const dtype of SOLUTION_DTYPES) {
            for (const call of SOLUTION_CALLS) {
              const base = {
                problem: problem.name,
                algorithm: alg.id,
                dtype,
                implementation: call.id,
                label: `${problem.name}, ${alg.label}, ${dtype}, ${call.label}`,
                iterations: n,
                backend: call.backend,
                threads: call.backend === 'native' ? team : 1,
              };
              if (!info[call.backend]?.loaded) {
                rows.push({ ...base, status: 'n/a', note: `${call.backend} backend not available` });
                continue;
              }
              progress(`solution: ${base.label}`);
              const options = {
                ...common,
                ...alg.options,
                ...(alg.masked && { mask }),
                backend: call.backend,
                dtype,
                ...(!call.spectralError && { spectralError: false }),
              };
              rows.push(
                await guard(base, async () => ({
                  ...base,
                  status: 'ok',
                  ...(await timeCalls(api, call.call, inputOf[dtype], options, n, policy)),
                })),
              );
            }
            fits.push(peerFit(`${alg.id}:${dtype}`, alg, dtype, n));
          }
        }
        progress(`solution: ${problem.name}: peers of ${group.map((a) => a.label).join(', ')}`);
        const results = peerResults(python, problem, dir, policy, fits);
        for (const f of fits) {
          const alg = group.find((a) => a.id === f.id.split(':')[0]);
          const base = {
            problem: problem.name,
            algorithm: alg.id,
            dtype: f.dtype,
            implementation: 'peer',
            label: `${problem.name}, ${alg.label}, ${f.dtype}, ${peerLabel(alg, python)}`,
            peer: peerLabel(alg, python),
            iterations: f.iterations,
            threads: pythonBlasThreads(python.chosen),
          };
          rows.push(peerRow(base, results[f.id], f.dtype));
        }
      }
    } finally {
      if (dir) removeData(dir);
    }
  }
  for (const row of rows.filter((r) => r.status === 'ok')) {
    const peer = rows.find(
      (r) =>
        r.implementation === 'peer' &&
        r.status === 'ok' &&
        r.problem === row.problem &&
        r.algorithm === row.algorithm &&
        r.dtype === row.dtype,
    );
    row.msPerCall = row.secondsPerCall * 1e3;
    row.ratioToPeer = peer ? row.secondsPerCall / peer.secondsPerCall : null;
    row.objectiveRatio = peer && row.implementation !== 'peer' ? row.objective / peer.objective : null;
  }
  return {
    iterations: SOLUTION_ITERATIONS,
    quick,
    calls: SOLUTION_CALLS,
    dtypes: SOLUTION_DTYPES,
    algorithms: SOLUTION_ALGORITHMS.map(({ id, label, options, beta, masked, peer, share, everywhere }) => ({
      id,
      label,
      options,
      beta,
      masked: !!masked,
      peer,
      share,
      problems: everywhere ? 'all' : extrasOn,
    })),
    extrasOn,
    problems: records,
    rows,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Time to a target objective.

/** scikit-learn cd's iterations that set the target (÷ 10 with --quick); nmfkit may run up to CAP_FACTOR × as many. */
export const TARGET_PEER_ITERATIONS = 200;
export const TARGET_CAP_FACTOR = 5;

/** nmfkit's fits that chase the target (native float64 at the defaults, else wasm). */
export const TARGET_VARIANTS = [
  { id: 'hals', label: 'HALS', options: { solver: 'hals' } },
  { id: 'hals-3', label: 'HALS, halsSweeps: 3', options: { solver: 'hals', halsSweeps: 3 } },
  { id: 'hals-5', label: 'HALS, halsSweeps: 5', options: { solver: 'hals', halsSweeps: 5 } },
  { id: 'mu-euclidean', label: 'MU Euclidean (libfmp-compatible)', options: {} },
];

/**
 * The iterations a variant needs to reach `target`: one untimed nmfSync call with errorEvery 1 whose onIteration
 * stops it at the first iteration whose objective is ≤ target, at most `cap` iterations. { iterations, objective,
 * seconds } (iterations null when the cap came first; seconds: that call's wall time, one iteration per kernel
 * call — a lower bound on the time to the target then, not a timing).
 */
function iterationsToTarget(api, V, options, target, cap) {
  let reached = null;
  let last = Infinity;
  const t0 = performance.now();
  const result = api.nmfSync(V, {
    ...options,
    maxIter: cap,
    errorEvery: 1,
    spectralError: false,
    onIteration: ({ iteration, objective }) => {
      last = objective;
      if (objective <= target) {
        reached = iteration;
        return false;
      }
    },
  });
  return { iterations: reached, objective: reached ? result.objective : last, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The target part on one problem: scikit-learn cd's whole fit_transform of TARGET_PEER_ITERATIONS iterations
 * (timed; its objective, ½‖V − WH‖²_F as nmfkit defines it, is the target), then per variant the iterations to the
 * target (iterationsToTarget) and whole nmfSync calls of exactly that many iterations, timed at the defaults and
 * with spectralError: false. Returns the record for latest.json.
 */
export async function runTarget({ lib, info, python, problem, data, quick, policy, progress, guard }) {
  const api = lib.index;
  const peerIterations = quick ? TARGET_PEER_ITERATIONS / QUICK_DIVISOR : TARGET_PEER_ITERATIONS;
  const cap = TARGET_CAP_FACTOR * peerIterations;
  const backend = info.native.loaded ? 'native' : 'wasm';
  const { V, common } = inputs(problem, data);
  const team = backend === 'native' ? defaultTeam(lib, lib.chooseBackend('native'), V, common) : 1;
  const record = {
    problem: { name: problem.name, K: problem.K, N: problem.N, R: problem.R },
    peerIterations,
    cap,
    backend,
    dtype: 'float64',
    threads: team,
    method:
      'iterations: the first iteration whose objective (errorEvery 1) is ≤ the target, found by one untimed nmfSync call stopped by onIteration; then whole nmfSync calls of exactly that many iterations (stop none), timed',
  };
  const hals = ALGORITHMS.find((a) => a.id === 'hals');
  const peerBase = {
    variant: 'peer',
    label: `${peerLabel(hals, python)}, ${peerIterations} iterations`,
    iterations: peerIterations,
    threads: pythonBlasThreads(python.chosen),
  };
  progress(`target: ${peerBase.label}`);
  const dir = python.chosen?.sklearn ? writeData(data) : undefined;
  let peer;
  try {
    peer = peerRow(peerBase, peerResults(python, problem, dir, policy, [peerFit('cd', hals, 'float64', peerIterations)]).cd, 'float64');
  } finally {
    if (dir) removeData(dir);
  }
  record.peer = peer;
  record.rows = [];
  if (peer.status !== 'ok') {
    record.rows = TARGET_VARIANTS.map((v) => ({
      variant: v.id,
      label: v.label,
      status: 'skipped',
      note: `no target: the peer is ${peer.status}`,
    }));
    return record;
  }
  record.target = peer.objective;
  for (const variant of TARGET_VARIANTS) {
    const base = { variant: variant.id, label: variant.label, options: variant.options, cap };
    progress(`target: ${variant.label}`);
    record.rows.push(
      await guard(base, async () => {
        const options = { ...common, ...variant.options, backend };
        const search = iterationsToTarget(api, V, options, record.target, cap);
        const found = { ...base, searchSeconds: search.seconds, objectiveRatio: search.objective / record.target };
        if (search.iterations === null) return { ...found, status: 'not reached', iterationsToTarget: null };
        const n = search.iterations;
        const defaults = await timeCalls(api, 'nmfSync', V, options, n, policy);
        const frobenius = await timeCalls(api, 'nmfSync', V, { ...options, spectralError: false }, n, policy);
        return {
          ...found,
          status: 'ok',
          iterationsToTarget: n,
          // The timed calls' own result (same iterations, same factors): it must be at the target too.
          reached: defaults.objective <= record.target,
          objectiveRatio: defaults.objective / record.target,
          ...defaults,
          msPerCall: defaults.secondsPerCall * 1e3,
          ratioToPeer: defaults.secondsPerCall / peer.secondsPerCall,
          spectralErrorFalse: {
            status: 'ok',
            ...frobenius,
            msPerCall: frobenius.secondsPerCall * 1e3,
            ratioToPeer: frobenius.secondsPerCall / peer.secondsPerCall,
          },
        };
      }),
    );
  }
  peer.msPerCall = peer.secondsPerCall * 1e3;
  return record;
}
