#!/usr/bin/env node
// nmfkit's benchmark harness: `npm run bench [-- options]` (builds first). See PERFORMANCE.md for the method.
//
//   --quick              fewer iterations (÷10) and repeats, problems tiny and small unless --problems says
//   --problems a,b|none  only these problems (tiny, small, spectrogram, large, wide); none: only the parts below
//   --out DIR            where latest.json, latest.md (tables), latest.svg and latest.png go (default bench/results)
//   --python PATH|none   the Python for the numpy / scikit-learn peers (default: probe python3, /usr/bin/python3)
//   --no-throughput      skip the many-small-fits throughput line (nmfBatch, nmf, nmfSync vs scikit-learn's loop)
//   --no-solution        skip the time-to-solution part (whole nmfSync / nmf calls at nmfkit's defaults vs
//                        scikit-learn's whole fit_transform on every problem of the run; --solution: on, the default)
//   --target P|none      time to scikit-learn cd's objective after 200 iterations on problem P (HALS plain and
//                        accelerated, MU); default spectrogram, with --quick the run's first problem (cd: 20 iterations)
//   --kernels a,b        also rows with the iteration kernel forced (FitSpec.blockRows: plain 0, fused > 0), per backend
//                        and dtype; the default rows use the backend's own choice ('auto')
//   --algorithms P|none  the algorithms part (MU KL / IS / β = 0.5 / masked, HALS, libfmp-compatible MU on every backend and
//                        dtype vs scikit-learn) on problem P, with P's iterations (at most 200; ÷10 with --quick);
//                        default spectrogram, with --quick the run's first problem
//   --no-sparse          skip the sparse part (a CSR V against its dense twin and against scikit-learn on scipy.sparse;
//                        the man pages' TF-IDF matrix and scikit-learn's digits as real data: bench/lib/sparse.mjs)
//
// The table goes to stdout, progress to stderr. Exit code 1 when an implementation's result fails the check
// (‖V − WH‖_F after n iterations must match numpy's to 1e-6 relative for float64 rows in libfmp's order).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ALGORITHM_MAX_ITERATIONS, runAlgorithms } from './lib/algorithms.mjs';
import { rasterise, renderSvg } from './lib/chart.mjs';
import { describeMachine, loadAverage } from './lib/machine.mjs';
import { ML_MATRIX_VERSION, runMlMatrixRow } from './lib/mlmatrix.mjs';
import {
  FLOOR_ROWS,
  NMFKIT_ROWS,
  kernelVariantRows,
  loadAddon,
  loadNmfkit,
  measurePeaks,
  runFloorRow,
  runNmfkitRow,
} from './lib/nmfkit.mjs';
import { DATA_SEED, EPS, PROBLEMS, QUICK_DIVISOR, QUICK_PROBLEMS, generateData } from './lib/problems.mjs';
import { DROPPED_ENV, choosePython, describePythonBlas, removeData, runPythonRows, writeData } from './lib/python.mjs';
import {
  deriveProblem,
  evaluateTargets,
  fmt,
  formatAlgorithms,
  formatMarkdown,
  formatProblemTable,
  formatSolution,
  formatTarget,
  formatTargets,
  formatThroughput,
  problemTitle,
} from './lib/report.mjs';
import { SOLUTION_ITERATIONS, TARGET_CAP_FACTOR, TARGET_PEER_ITERATIONS, runSolution, runTarget } from './lib/solution.mjs';
import { formatSparse, runSparse } from './lib/sparse.mjs';
import { runThroughput } from './lib/throughput.mjs';
import { POLICIES } from './lib/timing.mjs';

const USAGE =
  'usage: node bench/run.mjs [--quick] [--problems tiny,small,spectrogram,large,wide|none] [--out DIR] [--python PATH|none] [--no-throughput] [--no-solution] [--target PROBLEM|none] [--kernels plain,fused] [--algorithms PROBLEM|none] [--no-sparse]';

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      problems: { type: 'string' },
      out: { type: 'string' },
      python: { type: 'string' },
      'no-throughput': { type: 'boolean', default: false },
      solution: { type: 'boolean', default: true },
      'no-solution': { type: 'boolean', default: false },
      target: { type: 'string' },
      kernels: { type: 'string' },
      algorithms: { type: 'string' },
      'no-sparse': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const listed =
    values.problems === 'none'
      ? []
      : values.problems
          ?.split(',')
          .map((s) => s.trim())
          .filter(Boolean);
  const names = listed ?? (values.quick ? QUICK_PROBLEMS : PROBLEMS.map((p) => p.name));
  const algorithms = values.algorithms ?? (values.quick ? (names[0] ?? QUICK_PROBLEMS[0]) : 'spectrogram');
  const target = values.target ?? (values.quick ? (names[0] ?? QUICK_PROBLEMS[0]) : 'spectrogram');
  const unknown = [...names, ...[algorithms, target].filter((n) => n !== 'none')].filter((n) => !PROBLEMS.some((p) => p.name === n));
  if (unknown.length) throw new RangeError(`unknown problem(s) ${unknown.join(', ')}; known: ${PROBLEMS.map((p) => p.name).join(', ')}`);
  return {
    quick: values.quick,
    problems: PROBLEMS.filter((p) => names.includes(p.name)),
    out: resolve(values.out ?? fileURLToPath(new URL('./results', import.meta.url))),
    python: values.python ?? process.env.NMFKIT_BENCH_PYTHON,
    throughput: !values['no-throughput'],
    solution: values.solution && !values['no-solution'],
    target: PROBLEMS.find((p) => p.name === target),
    kernels: values.kernels
      ? values.kernels
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
      : [],
    algorithms: PROBLEMS.find((p) => p.name === algorithms),
    sparse: !values['no-sparse'],
  };
}

const progress = (msg) => process.stderr.write(`[bench] ${msg}\n`);

/** Runs one row; a failure becomes a row with status 'error' (the run goes on, the smoke test fails on it). */
async function guardedRow(base, fn) {
  const t0 = performance.now();
  try {
    const row = await fn();
    row.wallSeconds = (performance.now() - t0) / 1000;
    return row;
  } catch (error) {
    progress(`${base.id} failed: ${error?.stack ?? error}`);
    return { ...base, status: 'error', note: String(error?.message ?? error).split('\n')[0] };
  }
}

/**
 * Removes the OpenBLAS overrides that the Python peers run without (DROPPED_ENV) from this process's environment,
 * before nmfkit's addon loads OpenBLAS (which reads them once, when it is loaded): with OPENBLAS_CORETYPE=Haswell
 * left in place, nmfkit would run on AVX2 kernels while numpy picked AVX-512 ones on the same CPU. Returns the values
 * removed, for the record.
 */
function dropBlasOverrides() {
  const dropped = {};
  for (const name of DROPPED_ENV) {
    if (process.env[name] === undefined) continue;
    dropped[name] = process.env[name];
    delete process.env[name];
  }
  return dropped;
}

async function main() {
  const options = parseOptions(process.argv.slice(2));
  const policy = options.quick ? POLICIES.quick : POLICIES.full;
  const started = performance.now();
  const loadStart = loadAverage();

  const blasOverridesDropped = dropBlasOverrides();
  const lib = await loadNmfkit();
  const info = lib.backendInfo();
  const addon = info.native.loaded ? loadAddon() : undefined;
  // nmfkit's BLAS threads as its thread policy set them at load (the thread rows restore this after each run).
  const defaultThreads = info.native.loaded ? info.native.blas.threads : 1;
  const ctx = { cores: availableParallelism(), defaultThreads };
  const machine = describeMachine(info);
  machine.blasOverridesDropped = blasOverridesDropped;

  const python = choosePython(options.python);
  if (python.note) progress(python.note);
  machine.python = python.chosen
    ? {
        executable: python.chosen.executable,
        version: python.chosen.python,
        numpy: python.chosen.numpy ?? null,
        sklearn: python.chosen.sklearn ?? null,
        threadpoolctl: python.chosen.threadpoolctl ?? null,
        blas: describePythonBlas(python.chosen),
        blasDetail: python.chosen.blas,
        envDropped: DROPPED_ENV,
      }
    : { note: python.note };
  machine.pythonCandidates = python.candidates.map((c) => ({
    executable: c.executable,
    ok: c.ok,
    numpy: c.numpy ?? null,
    sklearn: c.sklearn ?? null,
    error: c.error,
  }));
  machine.mlMatrix = ML_MATRIX_VERSION;

  console.log(`nmfkit bench${options.quick ? ' (quick)' : ''} — ${new Date().toISOString()}`);
  console.log(
    `machine: ${machine.cpu.model} (family ${machine.cpu.family ?? '?'} model ${machine.cpu.modelNumber ?? '?'}${machine.cpu.hypervisor ? ', virtualised' : ''}), ${machine.cpu.logicalCores} cores, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}`,
  );
  console.log(
    `native BLAS: ${info.native.loaded ? `${info.native.blas.vendor} ${info.native.blas.version} (${info.native.blas.config}), nmfkit default ${defaultThreads} BLAS thread(s) per team member, a lone fit's team up to ${info.threads?.fits ?? '?'} thread(s), ${ctx.cores} cores` : `not loaded: ${info.native.reason}`}`,
  );
  console.log(
    `python peers: ${machine.python.executable ? `${machine.python.executable} (Python ${machine.python.version}): numpy ${machine.python.numpy}, scikit-learn ${machine.python.sklearn ?? 'missing'}, BLAS ${machine.python.blas}` : machine.python.note}`,
  );
  const dropped = Object.entries(blasOverridesDropped).map(([name, value]) => `${name}=${value}`);
  if (dropped.length > 0) console.log(`OpenBLAS overrides dropped for nmfkit and the Python peers alike: ${dropped.join(', ')}`);
  console.log(`load average at start: ${loadStart.one.toFixed(2)} (1 min), ${loadStart.five.toFixed(2)} (5 min)`);

  let peaks = { note: 'native backend not loaded' };
  if (info.native.loaded) {
    progress('measuring the GEMM peak');
    peaks = measurePeaks(lib, addon, options.quick, ctx);
    if (peaks['float64@1']) {
      const show = (dtype) =>
        [...new Set([1, ctx.cores])].map((t) => `${fmt(peaks[`${dtype}@${t}`].gflops)} GFLOP/s (${t} thr)`).join(', ');
      console.log(`measured peak, ${peaks.method}: DGEMM ${show('float64')}; SGEMM ${show('float32')}`);
    }
  }
  machine.peaks = peaks;
  console.log('');

  const iterationsOf = (def) => (options.quick ? Math.max(1, Math.round(def.iterations / QUICK_DIVISOR)) : def.iterations);
  const problems = [];
  for (const def of options.problems) {
    const n = iterationsOf(def);
    const problem = { ...def, iterations: n };
    progress(`${problemTitle(problem)}: generating data`);
    const data = generateData(problem);
    const rows = [];
    for (const spec of [...NMFKIT_ROWS, ...kernelVariantRows(options.kernels)]) {
      progress(`${problem.name}: ${spec.label}`);
      rows.push(
        await guardedRow({ id: spec.id, label: spec.label, kind: 'nmfkit', backend: spec.backend, dtype: spec.dtype }, () =>
          runNmfkitRow(lib, addon, spec, problem, data, n, policy, ctx),
        ),
      );
    }
    for (const spec of FLOOR_ROWS) {
      if (!info.native.loaded) {
        rows.push({ id: spec.id, label: spec.label, kind: 'floor', dtype: spec.dtype, status: 'n/a', note: 'native backend not loaded' });
        continue;
      }
      progress(`${problem.name}: ${spec.label}`);
      rows.push(
        await guardedRow({ id: spec.id, label: spec.label, kind: 'floor', dtype: spec.dtype }, () =>
          runFloorRow(lib, addon, spec, problem, policy, ctx),
        ),
      );
    }
    progress(`${problem.name}: ml-matrix`);
    rows.push(
      await guardedRow({ id: 'ml-matrix', label: 'ml-matrix (JS)', kind: 'peer', dtype: 'float64' }, () =>
        runMlMatrixRow(problem, data, n, policy),
      ),
    );
    if (python.chosen) {
      progress(`${problem.name}: numpy${python.chosen.sklearn ? ', scikit-learn' : ''} (${python.chosen.executable})`);
      const dir = writeData(data);
      const t0 = performance.now();
      try {
        rows.push(
          ...runPythonRows(python, problem, dir, n, policy).map((row) => ({ ...row, wallSeconds: (performance.now() - t0) / 1000 })),
        );
      } finally {
        removeData(dir);
      }
    } else {
      rows.push(...runPythonRows(python, problem, undefined, n, policy));
    }
    const record = {
      name: problem.name,
      K: problem.K,
      N: problem.N,
      R: problem.R,
      iterations: n,
      ...deriveProblem(problem, rows, peaks, defaultThreads),
      rows,
    };
    problems.push(record);
    console.log(formatProblemTable(record));
    console.log('');
  }

  // What every part after the problems' tables runs with.
  const context = { lib, info, python, quick: options.quick, policy, progress, guard: guardedRow };

  let solution = null;
  if (options.solution && options.problems.length) {
    // The non-Euclidean algorithms: on the spectrogram problem; with --quick on the run's first problem.
    const extrasOn = options.quick ? options.problems[0].name : 'spectrogram';
    solution = await runSolution({ ...context, problems: options.problems, extrasOn });
    console.log(formatSolution(solution));
    console.log('');
  }

  let target = null;
  if (options.target) {
    target = await runTarget({ ...context, problem: options.target, data: generateData(options.target) });
    console.log(formatTarget(target));
    console.log('');
  }

  let algorithms = null;
  if (options.algorithms) {
    const def = options.algorithms;
    const problem = { ...def, iterations: iterationsOf({ iterations: Math.min(def.iterations, ALGORITHM_MAX_ITERATIONS) }) };
    const data = generateData(problem);
    algorithms = await runAlgorithms({ ...context, problem, data, n: problem.iterations });
    console.log(formatAlgorithms(algorithms));
    console.log('');
  }

  let sparse = null;
  if (options.sparse) {
    sparse = await runSparse(context);
    console.log(formatSparse(sparse));
    console.log('');
  }

  let throughput = null;
  if (options.throughput) {
    progress('throughput line');
    throughput = await runThroughput(lib.index, info, options.quick, python);
    console.log(formatThroughput(throughput));
    console.log('');
  }

  const targets = evaluateTargets(problems);
  console.log('targets:');
  console.log(formatTargets(targets));

  const loadEnd = loadAverage();
  const seconds = (performance.now() - started) / 1000;
  console.log(`\nload average at end: ${loadEnd.one.toFixed(2)} (1 min); bench took ${seconds.toFixed(0)} s`);

  const results = {
    schema: 1,
    tool: 'nmfkit bench (bench/run.mjs)',
    date: new Date().toISOString(),
    quick: options.quick,
    seconds,
    method: {
      data: `V, W0, H0 entries U[0,1) (mulberry32, seed ${DATA_SEED} salted by problem name), generated once per problem and given to every implementation`,
      eps: EPS,
      tol: 0,
      timing: `warm-up: ceil(n/10) iterations, plus one full run when that predicts < ${policy.fullWarmupLimit} s; then clamp(floor(${policy.budget} s / run), ${policy.minRepeats}, ${policy.maxRepeats}) timed runs of n iterations from W0/H0; figure = median / n`,
      flops: '4KNR + 4R²(K+N) per iteration',
      vBytes:
        'passes × K × N × bytes(dtype) per iteration; passes = 2 for the plain MU loop (WᵀV and V·Hᵀ each read V once), 1 for a fused kernel',
      nmfkit:
        "backend contract: createFit (untimed) then fit.run(n) timed; computes both change norms every iteration; finish() after timing, for the check only. Rows 'default' (marked isDefault): the fit's team as nmfSync sizes it (planFit(...).problemFor(0, backend, availableThreads), FitSpec.threads), 1 BLAS thread per member; '1t': team 1, 1 BLAS thread; 'mt': team 1, OpenBLAS on every core",
      ratios: 'ratioToNumpy = time / numpy; ratioToFloor = time / the BLAS floor of the row dtype on every core (floorReference)',
      floor: 'bench/native/gemm-floor.cc gemmFloor: median time of WᵀV plus V·Hᵀ (cblas_dgemm/sgemm) on the same shapes and BLAS',
      peers:
        'ml-matrix and numpy: libfmp-compatible MU (H then W, eps in both denominators), no change norms; scikit-learn: NMF(solver=mu, init=custom, tol=0, max_iter=n, beta_loss=frobenius).fit_transform(V, W=W0, H=H0), per iteration = total / n',
      check: "‖V − WH‖_F after n iterations, computed from each implementation's final factors",
      solution: `the time-to-solution part: whole calls, median of the timing policy's runs (warm-up and repeats as above, of whole calls): nmfSync (native, wasm) and await nmf (native) with { rank, W: W0, H: H0, maxIter: n, stop: 'none', backend, dtype, loss / solver / mask } and nmfkit's defaults otherwise (its team of threads, errorEvery, spectralError), and again with spectralError: false; peers: scikit-learn NMF(init=custom, tol=0, max_iter=n, solver, beta_loss).fit_transform(V, W=W0, H=H0) given V, W0, H0 in the row's dtype (computedDtype = components_.dtype), numpy's masked MU loop for the mask; n per problem: ${JSON.stringify(SOLUTION_ITERATIONS)} × the algorithm's share (KL 0.2, β = 0.5 0.05, mask 0.2), ÷ 10 with --quick; ratioToPeer = median call / the peer's median call`,
      target: `the target part: target = ½‖V − WH‖²_F of scikit-learn NMF(solver=cd, init=custom, tol=0, max_iter=${TARGET_PEER_ITERATIONS}) (÷ 10 with --quick) from W0/H0, its whole fit_transform timed (median); per nmfkit variant the first iteration whose objective is ≤ the target (one untimed nmfSync call, errorEvery 1, onIteration stops it; at most ${TARGET_CAP_FACTOR} × the peer's iterations), then whole nmfSync calls of exactly that many iterations (stop 'none', defaults; and spectralError: false) timed with the policy; ratioToPeer = median call / the peer's median call`,
      sparse:
        "the sparse part (bench/lib/sparse.mjs): a synthetic CSR V (each entry stored with probability density, values U[0,1)) and its dense twin, native MU Euclidean at nmfkit's default threads, the loop alone per iteration from onIteration timestamps ((t_n − t_1)/(n − 1), median over the policy's calls); whole calls nmfSync(V, { rank, W: W0, H: H0, maxIter: n, stop: 'none', solver, spectralError: false }) per backend, and await nmf on wasm (a fit on its team of workers), against scikit-learn NMF(init=custom, tol=0, max_iter=n, solver='mu' | 'cd').fit_transform on the same matrix (scipy.sparse CSR for CSR), medians of the policy's calls, on the synthetic V, the man pages' TF-IDF matrix (test/fixtures/manpages-tfidf) and scikit-learn's load_digits (dense)",
      throughput:
        'the throughput line: one warm-up pass over all the matrices, then timed passes over all (5; 2 with --quick), seconds = the median pass (passSeconds: every pass); every fit from the same W0/H0 (nmfkit options W, H; scikit-learn init=custom, solver=mu); ratioToSklearn = seconds / the scikit-learn loop seconds; the reference rows per backend: nmfSync on one worker thread per core, and in one process per core, over every cores-th matrix, after its own warm-up, timed from the common start to the last one done',
      algorithms: `the algorithms part: nmfSync(V, { W: W0, H: H0, maxIter: n, stop: 'none', errorEvery: 2^31 - 1, backend, dtype, loss / solver / mask }) per algorithm, nmfkit's default threads (the team it gives a lone fit); peers: scikit-learn NMF(init=custom, tol=0, max_iter=n, solver, beta_loss), numpy's masked MU loop for the mask; per iteration = total / n for both; in the loop: nmfkit from onIteration timestamps, (t_n - t_1) / (n - 1), scikit-learn the marginal cost from 1-iteration calls; fixed = total - n × loop; objectiveRatio = nmfkit's objective after n iterations / the peer's, both as docs/algorithms.md §1 defines it`,
    },
    threads: { cores: ctx.cores, nmfkitDefaultBlasThreads: defaultThreads, policy: info.threads ?? null },
    options: {
      problems: options.problems.map((p) => p.name),
      python: options.python ?? null,
      throughput: options.throughput,
      kernels: options.kernels,
      algorithms: options.algorithms?.name ?? null,
      solution: options.solution,
      sparse: options.sparse,
      target: options.target?.name ?? null,
      policy,
    },
    machine,
    load: { start: loadStart, end: loadEnd },
    problems,
    solution,
    target,
    algorithms,
    sparse,
    throughput,
    targets,
  };

  mkdirSync(options.out, { recursive: true });
  const jsonPath = resolve(options.out, 'latest.json');
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(resolve(options.out, 'latest.md'), formatMarkdown(results));
  console.log(`results: ${jsonPath} (tables as Markdown: latest.md)`);
  if (problems.some((p) => p.rows.some((r) => r.status === 'ok'))) {
    const svg = renderSvg(results);
    writeFileSync(resolve(options.out, 'latest.svg'), svg);
    const png = await rasterise(svg);
    if (png.png) {
      writeFileSync(resolve(options.out, 'latest.png'), png.png);
      console.log(`chart: ${resolve(options.out, 'latest.png')}`);
    } else {
      console.log(`chart: ${resolve(options.out, 'latest.svg')} (${png.error})`);
    }
  }

  const failures = problems.flatMap((p) => p.checkFailures.map((id) => `${p.name}/${id}`));
  if (failures.length) {
    console.error(`CHECK FAILED for ${failures.join(', ')}: these rows did not compute the same factorization`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
