// Peers (b) numpy and (c) scikit-learn, run by bench/peers.py in a Python subprocess.
//
// Which Python: `--python PATH` (or NMFKIT_BENCH_PYTHON) if given; else the first of `python3` on PATH and
// /usr/bin/python3 (Debian's, where python3-numpy and python3-sklearn install) in which both numpy and sklearn
// import, else the first in which numpy imports (scikit-learn then skipped with a note). `--python none` skips both.
//
// The subprocess's environment drops OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (set on some machines for old
// OpenBLAS builds; they slow a current numpy); the results record which kernel threadpoolctl then reports. The bench
// drops them for nmfkit too, before it loads (run.mjs, dropBlasOverrides), so both sides get the same BLAS kernels.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EPS } from './problems.mjs';

const PEERS_PY = fileURLToPath(new URL('../peers.py', import.meta.url));
export const DROPPED_ENV = ['OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE'];

function pythonEnv() {
  const env = { ...process.env };
  for (const name of DROPPED_ENV) delete env[name];
  return env;
}

function probeInterpreter(executable) {
  const out = spawnSync(executable, [PEERS_PY, 'probe'], { env: pythonEnv(), encoding: 'utf8', timeout: 60_000 });
  if (out.error || out.status !== 0) {
    return { executable, ok: false, error: out.error?.message ?? (out.stderr || `exit ${out.status}`).trim().split('\n').pop() };
  }
  try {
    return { executable, ok: true, ...JSON.parse(out.stdout) };
  } catch {
    return { executable, ok: false, error: `unreadable probe output: ${out.stdout.slice(0, 200)}` };
  }
}

/**
 * Picks the interpreter. Returns { chosen, candidates, note }: chosen is undefined when no candidate has numpy,
 * chosen.sklearn is undefined when the chosen one lacks scikit-learn.
 */
export function choosePython(requested) {
  if (requested === 'none') return { candidates: [], note: 'Python peers skipped (--python none)' };
  const names = requested ? [requested] : ['python3', '/usr/bin/python3'];
  const candidates = [];
  for (const name of names) {
    const probe = probeInterpreter(name);
    // The same interpreter twice (python3 on PATH may be /usr/bin/python3): probe once.
    if (probe.ok && candidates.some((c) => c.ok && c.sysExecutable === probe.executable)) continue;
    candidates.push({ ...probe, sysExecutable: probe.executable, executable: name });
  }
  const withNumpy = candidates.filter((c) => c.ok && c.numpy);
  const chosen = withNumpy.find((c) => c.sklearn) ?? withNumpy[0];
  let note;
  if (!chosen) {
    note = `numpy and scikit-learn peers skipped: no Python with numpy (tried ${names.join(', ')}; Debian: apt-get install -y python3-numpy python3-sklearn)`;
  } else if (!chosen.sklearn) {
    note = `scikit-learn peer skipped: it does not import in ${chosen.executable} (${chosen.sklearn_error ?? 'not installed'}; Debian: apt-get install -y python3-sklearn)`;
  }
  return { chosen, candidates, note };
}

/** The BLAS numpy runs on, in one line, from the probe's threadpoolctl report. */
export function describePythonBlas(python) {
  const libs = python?.blas?.libraries;
  if (!Array.isArray(libs)) return python?.blas?.source ?? 'unknown';
  const blas = libs.find((l) => l.user_api === 'blas');
  if (!blas) return 'no BLAS reported by threadpoolctl';
  return `${blas.internal_api} ${blas.version ?? '?'} (kernel ${blas.architecture ?? '?'}, ${blas.num_threads} threads, ${blas.threading_layer ?? '?'})`;
}

/** The BLAS threads numpy (and scikit-learn) run with, as threadpoolctl reports them. */
export function pythonBlasThreads(chosen) {
  return chosen?.blas?.libraries?.find((l) => l.user_api === 'blas')?.num_threads;
}

/** Writes each Float64Array of `data` (V, W0, H0, and M for the algorithms part) as raw float64 `<name>.f64` for
 * peers.py; returns the folder (remove it with `removeData`). */
export function writeData(data) {
  const dir = mkdtempSync(join(tmpdir(), 'nmfkit-bench-'));
  for (const [name, array] of Object.entries(data)) {
    writeFileSync(join(dir, `${name}.f64`), new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return dir;
}

export function removeData(dir) {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs numpy and scikit-learn on one problem. Returns the two row records (status 'ok', 'skipped' or 'error'). */
export function runPythonRows(python, problem, dataDir, n, policy) {
  const { chosen, note } = python;
  const rows = {
    numpy: { id: 'numpy', label: chosen?.numpy ? `numpy ${chosen.numpy}` : 'numpy', kind: 'peer', dtype: 'float64', vPasses: 2 },
    sklearn: {
      id: 'sklearn',
      label: chosen?.sklearn ? `scikit-learn ${chosen.sklearn} MU` : 'scikit-learn MU',
      kind: 'peer',
      dtype: 'float64',
      vPasses: 2,
      note: 'per iteration = fit_transform total / n (includes its input checks and final reconstruction error)',
    },
  };
  if (!chosen) {
    return [
      { ...rows.numpy, status: 'skipped', note },
      { ...rows.sklearn, status: 'skipped', note },
    ];
  }
  const { results, failure } = runPeers(chosen, problem, dataDir, n, policy, { peers: chosen.sklearn ? ['numpy', 'sklearn'] : ['numpy'] });
  const threads = pythonBlasThreads(chosen);
  return ['numpy', 'sklearn'].map((peer) => {
    const row = rows[peer];
    if (peer === 'sklearn' && !chosen.sklearn) return { ...row, status: 'skipped', note };
    if (failure) return { ...row, status: 'error', note: failure };
    const r = results[peer];
    if (!r || r.error) return { ...row, status: 'error', note: r?.error ?? 'no result' };
    return { ...row, threads, status: 'ok', ...r };
  });
}

/**
 * peers.py `run` on one problem with `request` ({ peers }, { algorithms } and/or { fits }, or { throughput });
 * { results } or { failure }.
 */
function runPeers(chosen, problem, dataDir, n, policy, request) {
  const configPath = join(dataDir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify({ dir: dataDir, K: problem?.K, N: problem?.N, R: problem?.R, iterations: n, eps: EPS, policy, peers: [], ...request }),
  );
  const out = spawnSync(chosen.executable, [PEERS_PY, 'run', configPath], {
    env: pythonEnv(),
    encoding: 'utf8',
    timeout: 30 * 60_000,
    maxBuffer: 16 << 20,
  });
  if (out.error || out.status !== 0)
    return { failure: out.error?.message ?? (out.stderr || `exit ${out.status}`).trim().split('\n').slice(-3).join(' | ') };
  try {
    return { results: JSON.parse(out.stdout) };
  } catch {
    return { failure: `unreadable output: ${out.stdout.slice(0, 200)}` };
  }
}

/**
 * The algorithms part's peers (scikit-learn's NMF, or numpy's masked loop) for `algorithms` ([{ id, beta,
 * solver, betaLoss }]) on one problem; { id: timing and objective, or { error } }, or { failure } for all.
 */
export function runPythonAlgorithms(python, problem, dataDir, n, policy, algorithms) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, problem, dataDir, n, policy, { algorithms });
  return failure ? { failure } : results.algorithms;
}

/**
 * Whole calls of the peers (the time-to-solution and target parts): `fits` = [{ id, beta, solver, betaLoss, dtype,
 * iterations }], each timed with `policy` over whole fit_transform calls (numpy's masked loop for solver
 * 'numpy-masked'); { id: timing, objective and computedDtype, or { error } }, or { failure } for all.
 */
export function runPythonFits(python, problem, dataDir, policy, fits) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, problem, dataDir, 0, policy, { fits });
  return failure ? { failure } : results.fits;
}

/**
 * The sparse part's peers (peers.py `sparse`): whole scikit-learn calls on the matrix in dataDir (CSR: indptr.i32,
 * indices.i32, data.f64; dense: V.f64) and W0.f64, H0.f64; `spec` = { format, K, N, R, iterations, solvers }.
 * { solver: timing and objective, or { error } }, or { failure }.
 */
export function runPythonSparse(python, dataDir, policy, spec) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, undefined, dataDir, 0, policy, { sparse: spec });
  return failure ? { failure } : results.sparse;
}

/** scikit-learn's bundled load_digits written to dataDir/digits.f64 (peers.py `digits`): { rows, cols } or { failure }. */
export function runPythonDigits(python, dataDir) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, undefined, dataDir, 0, undefined, { digits: true });
  return failure ? { failure } : results.digits;
}

/**
 * scikit-learn's loop over the throughput's matrices (peers.py `throughput`): dataDir holds T.f64 (the matrices),
 * W0.f64 and H0.f64; `spec` = { count, K, N, R, iterations, warm, warmPasses, passes }. { seconds, fitsPerSecond, msPerFit } or
 * { failure }.
 */
export function runPythonThroughput(python, dataDir, spec) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, undefined, dataDir, 0, undefined, { throughput: spec });
  return failure ? { failure } : results.throughput;
}

/**
 * The online bench's peers (peers.py `online`): scikit-learn's batch MU and MiniBatchNMF on the CSR matrix in
 * dataDir (indptr.i32, indices.i32, data.f64); `spec` = { rows, cols, R, target, init, seed, batchSize, maxIter,
 * maxEpochs }. { batch, minibatch }: lists of { n, seconds, objective }, or { failure }.
 */
export function runPythonOnline(python, dataDir, spec) {
  if (!python.chosen?.sklearn) return { failure: python.note ?? 'no Python with scikit-learn' };
  const { results, failure } = runPeers(python.chosen, undefined, dataDir, 0, undefined, { online: spec });
  return failure ? { failure } : results.online;
}
