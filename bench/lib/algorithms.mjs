// The algorithms part (`--algorithms PROBLEM`): what each algorithm nmfkit offers costs per iteration on every
// backend and dtype, through the public API (`nmfSync` with `backend` and `dtype`), against scikit-learn's NMF
// (numpy's masked loop for the mask, which scikit-learn lacks), all from the problem's V, W0, H0; and the
// objective after n iterations relative to the peer's. PERFORMANCE.md ("Algorithms") describes the method.
//
// Timing: `measure` (timing.mjs) of whole calls of n iterations, `stop: 'none'`: total / n, as for scikit-learn's
// fit_transform, so both include their fixed costs per call (validation and copy of V, the final errors); and the
// loop alone (nmfkit: onIteration timestamps; scikit-learn: the marginal cost from 1-iteration calls). The main
// figures run with `errorEvery` beyond n (no objective inside the loop: scikit-learn with tol = 0 evaluates
// none); a second timing runs nmfkit's default errorEvery.
import { defaultTeam } from './nmfkit.mjs';
import { EPS, generateMask } from './problems.mjs';
import { pythonBlasThreads, removeData, runPythonAlgorithms, writeData } from './python.mjs';
import { measure, median, timedCall } from './timing.mjs';

/** The part runs its problem's iteration count, at most this many (÷ 10 with --quick, as everywhere). */
export const ALGORITHM_MAX_ITERATIONS = 200;

/** Fraction of the mask's entries that are 0 (missing) in the masked row. */
export const MASK_ZEROS = 0.2;

/** No objective evaluation inside the loop (only the one of the returned factors). */
const NO_CHECKPOINTS = 2 ** 31 - 1;

/** nmfkit's options for each algorithm, its β (for the objective, and the default errorEvery: 1 for β = 2 without
 * a mask, else 10), and the peer that runs the same algorithm (peers.py: scikit-learn `solver` / `beta_loss`, or numpy). */
export const ALGORITHMS = [
  { id: 'mu-euclidean', label: 'MU Euclidean (libfmp-compatible)', options: {}, beta: 2, peer: { solver: 'mu', betaLoss: 'frobenius' } },
  { id: 'mu-kl', label: 'MU KL', options: { loss: 'kl' }, beta: 1, peer: { solver: 'mu', betaLoss: 'kullback-leibler' } },
  { id: 'mu-is', label: 'MU IS', options: { loss: 'is' }, beta: 0, peer: { solver: 'mu', betaLoss: 'itakura-saito' } },
  { id: 'mu-beta-0.5', label: 'MU β = 0.5', options: { loss: 0.5 }, beta: 0.5, peer: { solver: 'mu', betaLoss: 0.5 } },
  {
    id: 'mu-mask',
    label: `MU Euclidean + mask (${MASK_ZEROS * 100} % zeros)`,
    options: {},
    masked: true,
    beta: 2,
    peer: { solver: 'numpy-masked' },
  },
  { id: 'hals', label: 'HALS', options: { solver: 'hals' }, beta: 2, peer: { solver: 'cd', betaLoss: 'frobenius' } },
];

export const IMPLEMENTATIONS = [
  { id: 'native-f64', label: 'native f64', backend: 'native', dtype: 'float64' },
  { id: 'native-f32', label: 'native f32', backend: 'native', dtype: 'float32' },
  { id: 'wasm-f64', label: 'wasm f64', backend: 'wasm', dtype: 'float64' },
  { id: 'wasm-f32', label: 'wasm f32', backend: 'wasm', dtype: 'float32' },
];

/** What the peer column runs, per algorithm. */
function peerLabel(alg, python) {
  const versioned = (name, version) => (version ? `${name} ${version}` : name);
  if (alg.peer.solver === 'numpy-masked') return `${versioned('numpy', python.chosen?.numpy)} masked MU loop`;
  const what =
    alg.peer.solver === 'cd'
      ? "solver='cd'"
      : `solver='mu', beta_loss=${typeof alg.peer.betaLoss === 'string' ? `'${alg.peer.betaLoss}'` : alg.peer.betaLoss}`;
  return `${versioned('scikit-learn', python.chosen?.sklearn)} NMF(${what})`;
}

/**
 * Times one nmfkit implementation of one algorithm: whole nmfSync calls of n iterations (total / n), and within
 * them the loop alone from onIteration timestamps, (t_n − t_1) / (n − 1): at ≥ 5 ms per iteration the driver runs
 * one iteration per kernel call anyway, so the callback changes nothing there. Then the same at the default
 * errorEvery (1 for β = 2 without a mask, else 10); the repeats need no full warm-up.
 */
async function runFacade(api, V, options, beta, n, policy) {
  let objective;
  const timed = async (errorEvery, timingPolicy) => {
    const loops = [];
    const runOnce = (iterations) => {
      const { seconds, loop, result } = timedCall(api, V, { ...options, errorEvery }, iterations);
      if (iterations === n) {
        loops.push(loop);
        if (errorEvery === NO_CHECKPOINTS) objective ??= result.objective;
      }
      return seconds;
    };
    const timing = await measure(runOnce, n, timingPolicy);
    const loop = n > 1 ? median(loops.slice(-timing.repeats)) : undefined;
    return { ...timing, ...(loop !== undefined && { loopSecondsPerIteration: loop, fixedSeconds: median(timing.seconds) - n * loop }) };
  };
  const timing = await timed(NO_CHECKPOINTS, policy);
  const { secondsPerIteration, loopSecondsPerIteration } = await timed(undefined, { ...policy, fullWarmupLimit: 0 });
  return {
    status: 'ok',
    ...timing,
    objective,
    defaultErrorEvery: { errorEvery: beta === 2 && options.mask === undefined ? 1 : 10, secondsPerIteration, loopSecondsPerIteration },
  };
}

/**
 * Runs the part on one problem: every algorithm × implementation, then the algorithm's peer — one Python process
 * per algorithm, so each row's figures are measured close together in time (with `quick`, one for all: it saves
 * the imports). `guard(base, fn)` turns a failure into a row with status 'error'. Returns the record for
 * results.json: { problem, iterations, algorithms, implementations, rows }.
 */
export async function runAlgorithms({ lib, info, python, problem, data, n, policy, quick, progress, guard }) {
  const { K, N, R } = problem;
  const matrix = (rows, cols, values) => ({ rows, cols, data: values });
  const M = generateMask(problem, MASK_ZEROS);
  const V = matrix(K, N, data.V);
  const common = { rank: R, W: matrix(K, R, data.W0), H: matrix(R, N, data.H0), stop: 'none', eps: EPS };
  // nmfSync's threads at the defaults: the team nmfkit gives a lone native fit of this size.
  const threads = info.native?.loaded ? defaultTeam(lib, lib.chooseBackend('native'), V, common) : 1;
  const dir = python.chosen?.sklearn ? writeData({ ...data, M }) : undefined;
  const rows = [];
  try {
    for (const group of quick ? [ALGORITHMS] : ALGORITHMS.map((alg) => [alg])) {
      for (const alg of group) {
        const options = { ...common, ...alg.options, ...(alg.masked && { mask: matrix(K, N, M) }) };
        for (const impl of IMPLEMENTATIONS) {
          const base = {
            algorithm: alg.id,
            implementation: impl.id,
            label: `${alg.label}, ${impl.label}`,
            backend: impl.backend,
            dtype: impl.dtype,
            threads: impl.backend === 'native' ? threads : 1,
          };
          if (!info[impl.backend]?.loaded) {
            rows.push({ ...base, status: 'n/a', note: `${impl.backend} backend not available` });
            continue;
          }
          progress(`algorithms: ${base.label}`);
          rows.push(
            await guard(base, async () => ({
              ...base,
              ...(await runFacade(lib.index, V, { ...options, backend: impl.backend, dtype: impl.dtype }, alg.beta, n, policy)),
            })),
          );
        }
      }
      const peers = group.map((alg) => ({
        algorithm: alg.id,
        implementation: 'peer',
        label: peerLabel(alg, python),
        dtype: 'float64',
        threads: pythonBlasThreads(python.chosen),
      }));
      if (!dir) {
        rows.push(...peers.map((peer) => ({ ...peer, status: 'skipped', note: python.note ?? 'no Python with scikit-learn' })));
        continue;
      }
      progress(`algorithms: ${peers.map((peer) => peer.label).join(', ')}`);
      const out = runPythonAlgorithms(
        python,
        problem,
        dir,
        n,
        policy,
        group.map((alg) => ({ id: alg.id, beta: alg.beta, ...alg.peer })),
      );
      for (const peer of peers) {
        const r = out.failure ? { error: out.failure } : out[peer.algorithm];
        // scikit-learn has no per-iteration callback: its loop cost is the marginal one (peers.py split_fixed).
        rows.push(
          !r || r.error
            ? { ...peer, status: 'error', note: r?.error ?? 'no result' }
            : { ...peer, status: 'ok', ...r, loopSecondsPerIteration: r.marginalSecondsPerIteration },
        );
      }
    }
  } finally {
    if (dir) removeData(dir);
  }
  for (const row of rows.filter((r) => r.status === 'ok')) {
    const reference = rows.find((r) => r.algorithm === row.algorithm && r.implementation === 'peer' && r.status === 'ok');
    row.msPerIteration = row.secondsPerIteration * 1e3;
    row.ratioToPeer = reference ? row.secondsPerIteration / reference.secondsPerIteration : null;
    row.loopRatioToPeer = reference ? row.loopSecondsPerIteration / reference.loopSecondsPerIteration : null;
    row.objectiveRatio = reference ? row.objective / reference.objective : null;
  }
  return {
    problem: { name: problem.name, K, N, R },
    iterations: n,
    maskZeros: MASK_ZEROS,
    algorithms: ALGORITHMS.map(({ id, label, options, beta, masked, peer }) => ({ id, label, options, beta, masked: !!masked, peer })),
    implementations: IMPLEMENTATIONS,
    rows,
  };
}
