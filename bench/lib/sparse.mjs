// The sparse part (`--sparse`, on by default; `--no-sparse` skips it): a CSR V (docs/sparse.md) against the dense V
// with the same entries, and against scikit-learn on the same scipy.sparse matrix; and real data: the man pages'
// TF-IDF matrix (test/fixtures/manpages-tfidf, scripts/make-manpages-tfidf.py) and scikit-learn's bundled digits
// (dense). PERFORMANCE.md ("Sparse V") describes the method.
//
//  - iteration: nmfSync on the synthetic CSR V and on its dense twin, native backend, nmfkit's default threads,
//    MU Euclidean, no objective inside the loop; the loop alone from onIteration timestamps, (t_n − t_1)/(n − 1),
//    median over the timing policy's whole calls;
//  - whole calls: nmfSync(V, { rank, W: W0, H: H0, maxIter: n, stop: 'none', solver, spectralError: false }) on each
//    backend against NMF(init='custom', tol=0, max_iter=n, solver='mu' | 'cd').fit_transform(V, W=W0, H=H0) on the
//    same matrix (scipy.sparse CSR for the sparse ones), medians of the policy's calls; ratio = nmfkit / scikit-learn.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { stream } from './problems.mjs';
import { runPythonDigits, runPythonSparse } from './python.mjs';
import { measure, median, timedCall } from './timing.mjs';

const NO_CHECKPOINTS = 2 ** 31 - 1;
const SOLVERS = [
  { id: 'mu', label: 'MU', options: {}, peer: 'mu' },
  { id: 'hals', label: 'HALS', options: { solver: 'hals' }, peer: 'cd' },
];

/** The synthetic problem: K×N with each entry stored with probability `density`, values U[0,1). */
function syntheticProblem(quick) {
  return quick
    ? { name: 'sparse-synthetic', K: 4000, N: 1000, R: 20, density: 0.01, iterations: 10, denseIterations: 4 }
    : { name: 'sparse-synthetic', K: 20000, N: 5000, R: 20, density: 0.01, iterations: 50, denseIterations: 5 };
}

/** A CSR matrix drawn row by row: the gaps between stored columns are geometric (one draw per stored entry). */
function syntheticCsr({ name, K, N, density }) {
  const random = stream(name, 1);
  const draw = () => random(1)[0];
  const indptr = new Int32Array(K + 1);
  const indices = [];
  const data = [];
  const logq = Math.log(1 - density);
  for (let i = 0; i < K; i++) {
    for (let j = Math.floor(Math.log(1 - draw()) / logq); j < N; j += 1 + Math.floor(Math.log(1 - draw()) / logq)) {
      indices.push(j);
      data.push(draw());
    }
    indptr[i + 1] = indices.length;
  }
  return { format: 'csr', rows: K, cols: N, indptr, indices: Int32Array.from(indices), data: Float64Array.from(data) };
}

function densify(csr) {
  const V = new Float64Array(csr.rows * csr.cols);
  for (let i = 0; i < csr.rows; i++) {
    for (let k = csr.indptr[i]; k < csr.indptr[i + 1]; k++) V[i * csr.cols + csr.indices[k]] = csr.data[k];
  }
  return { rows: csr.rows, cols: csr.cols, data: V };
}

function factors(name, K, N, R) {
  const fill = stream(`${name}-factors`, 1);
  return { W: { rows: K, cols: R, data: fill(K * R) }, H: { rows: R, cols: N, data: fill(R * N) } };
}

/** Whole nmfSync calls of n iterations timed with the policy; with `loop`, also the loop alone (onIteration). */
async function timeCalls(api, V, options, n, policy) {
  const loops = [];
  let objective;
  const runOnce = (iterations) => {
    const { seconds, loop, result } = timedCall(api, V, options, iterations);
    if (iterations === n) {
      loops.push(loop);
      objective = result.objective;
    }
    return seconds;
  };
  const timing = await measure(runOnce, n, policy);
  return { ...timing, callSeconds: median(timing.seconds), loopSecondsPerIteration: median(loops.slice(-timing.repeats)), objective };
}

/**
 * Whole `await nmf` calls of n iterations timed with the policy: a WebAssembly fit in the worker pool, on its team
 * of workers (nmfSync runs it on the calling thread, one member).
 */
async function timeAsyncCalls(api, V, options, n, policy) {
  let objective;
  const runOnce = async (iterations) => {
    const t0 = performance.now();
    const result = await api.nmf(V, { ...options, maxIter: iterations });
    const seconds = (performance.now() - t0) / 1000;
    if (result.iterations !== iterations) throw new Error(`ran ${result.iterations} of ${iterations} iterations with stop 'none'`);
    if (iterations === n) objective = result.objective;
    return seconds;
  };
  const timing = await measure(runOnce, n, policy);
  return { ...timing, callSeconds: median(timing.seconds), objective };
}

/** Writes the matrix and factors for peers.py; returns the folder. */
function writePeerData(V, W, H) {
  const dir = mkdtempSync(join(tmpdir(), 'nmfkit-sparse-'));
  const write = (name, a) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  if (V.format === 'csr') {
    write('indptr.i32', V.indptr);
    write('indices.i32', V.indices);
    write('data.f64', V.data);
  } else {
    write('V.f64', V.data);
  }
  write('W0.f64', W.data);
  write('H0.f64', H.data);
  return dir;
}

/** nmfkit's whole calls per backend and solver, and scikit-learn's on the same matrix. */
async function wholeCalls({ lib, info, python, policy, progress, guard }, name, V, R, n) {
  const { W, H } = factors(name, V.rows, V.cols, R);
  const rows = [];
  for (const solver of SOLVERS) {
    for (const backend of ['native', 'wasm']) {
      if (!info[backend].loaded) continue;
      progress(`${name}: nmfkit ${backend} ${solver.label}`);
      const options = { rank: R, W, H, stop: 'none', backend, spectralError: false, errorEvery: NO_CHECKPOINTS, ...solver.options };
      rows.push(
        await guard({ id: `${backend}-${solver.id}` }, async () => ({
          id: `${backend}-${solver.id}`,
          backend,
          solver: solver.id,
          status: 'ok',
          ...(await timeCalls(lib.index, V, options, n, policy)),
        })),
      );
    }
    if (!info.wasm.loaded) continue;
    progress(`${name}: nmfkit wasm ${solver.label}, await nmf`);
    const id = `wasm-${solver.id}-await-nmf`;
    const options = { rank: R, W, H, stop: 'none', backend: 'wasm', spectralError: false, errorEvery: NO_CHECKPOINTS, ...solver.options };
    rows.push(
      await guard({ id }, async () => ({
        id,
        backend: 'wasm',
        solver: solver.id,
        status: 'ok',
        ...(await timeAsyncCalls(lib.index, V, options, n, policy)),
      })),
    );
  }
  progress(`${name}: scikit-learn`);
  const dir = writePeerData(V, W, H);
  let peers;
  try {
    peers = runPythonSparse(python, dir, policy, {
      format: V.format === 'csr' ? 'csr' : 'dense',
      K: V.rows,
      N: V.cols,
      R,
      iterations: n,
      solvers: SOLVERS.map((s) => s.peer),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const row of rows) {
    const peer = peers.failure ? undefined : peers[SOLVERS.find((s) => s.id === row.solver).peer];
    if (peer?.secondsPerIteration !== undefined) {
      row.peerCallSeconds = median(peer.seconds);
      row.ratioToSklearn = row.callSeconds / row.peerCallSeconds;
      row.peerObjective = peer.objective;
    }
  }
  return { name, K: V.rows, N: V.cols, R, nnz: V.format === 'csr' ? V.data.length : V.rows * V.cols, iterations: n, rows, peers };
}

export async function runSparse(context) {
  const { lib, info, python, quick, policy, progress, guard } = context;
  const out = {};
  const problem = syntheticProblem(quick);
  progress(`${problem.name}: generating ${problem.K}×${problem.N} at density ${problem.density}`);
  const csr = syntheticCsr(problem);
  if (info.native.loaded) {
    const { W, H } = factors(problem.name, problem.K, problem.N, problem.R);
    const options = { rank: problem.R, W, H, stop: 'none', backend: 'native', spectralError: false, errorEvery: NO_CHECKPOINTS };
    progress(`${problem.name}: iteration, CSR`);
    const sparse = await guard({ id: 'csr' }, async () => ({
      status: 'ok',
      ...(await timeCalls(lib.index, csr, options, problem.iterations, policy)),
    }));
    progress(`${problem.name}: iteration, dense`);
    const dense = await guard({ id: 'dense' }, async () => ({
      status: 'ok',
      ...(await timeCalls(lib.index, densify(csr), options, problem.denseIterations, {
        ...policy,
        fullWarmupLimit: 0,
        minRepeats: 1,
        maxRepeats: 3,
      })),
    }));
    out.iteration = {
      ...problem,
      nnz: csr.data.length,
      csr: sparse,
      dense,
      ratio: sparse.loopSecondsPerIteration / dense.loopSecondsPerIteration,
    };
  }
  out.synthetic = await wholeCalls(context, problem.name, csr, problem.R, problem.iterations);

  const corpus = JSON.parse(
    gunzipSync(readFileSync(new URL('../../test/fixtures/manpages-tfidf/tfidf.json.gz', import.meta.url))).toString('utf8'),
  );
  const text = {
    format: 'csr',
    rows: corpus.rows,
    cols: corpus.cols,
    indptr: Int32Array.from(corpus.indptr),
    indices: Int32Array.from(corpus.indices),
    data: Float64Array.from(corpus.data),
  };
  out.manpages = await wholeCalls(context, 'manpages-tfidf', text, 20, quick ? 10 : 100);

  const dir = mkdtempSync(join(tmpdir(), 'nmfkit-digits-'));
  try {
    const shape = runPythonDigits(python, dir);
    if (!shape.failure) {
      const bytes = readFileSync(join(dir, 'digits.f64'));
      const digits = {
        rows: shape.rows,
        cols: shape.cols,
        data: new Float64Array(bytes.buffer, bytes.byteOffset, shape.rows * shape.cols).slice(),
      };
      out.digits = await wholeCalls(context, 'digits', digits, 10, quick ? 20 : 200);
    } else {
      out.digits = { failure: shape.failure };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

const ms = (s) => (s === undefined ? '—' : `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`);

export function formatSparse(sparse) {
  const lines = ['sparse V (CSR) and real data:'];
  const it = sparse.iteration;
  if (it) {
    lines.push(
      `  ${it.K}×${it.N}, density ${it.density} (nnz ${it.nnz}), R ${it.R}, native MU iteration: CSR ${ms(it.csr.loopSecondsPerIteration)}, dense ${ms(it.dense.loopSecondsPerIteration)}, ratio ${it.ratio?.toFixed(3)} (target ≤ 0.1)`,
    );
  }
  for (const part of [sparse.synthetic, sparse.manpages, sparse.digits]) {
    if (!part) continue;
    if (part.failure) {
      lines.push(`  ${part.name ?? 'digits'}: ${part.failure}`);
      continue;
    }
    lines.push(`  ${part.name} ${part.K}×${part.N} (nnz ${part.nnz}), R ${part.R}, ${part.iterations} iterations, whole calls:`);
    for (const row of part.rows) {
      const peer =
        row.peerCallSeconds === undefined
          ? `scikit-learn ${part.peers?.failure ?? 'n/a'}`
          : `scikit-learn ${ms(row.peerCallSeconds)}, ratio ${row.ratioToSklearn.toFixed(2)}${part === sparse.digits ? '' : ' (target ≤ 0.5)'}`;
      lines.push(`    ${row.id}: ${row.status === 'ok' ? `${ms(row.callSeconds)}; ${peer}` : row.note}`);
    }
  }
  return lines.join('\n');
}
