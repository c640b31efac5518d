// The throughput line (nmfBatch): many small fits — 400 matrices 64×64, rank 4, 100 iterations, tolerance off —
// through the public API: `nmfBatch` vs sequential `await nmf()` vs `nmfSync`, on both backends, against
// scikit-learn's Python loop over the same matrices (fit_transform per matrix, solver 'mu'). Every fit starts from
// the same W0/H0 (nmfkit: options W and H; scikit-learn: init='custom'). Reported as fits per second (whole calls:
// validation, copies, iterations, finish) and as time ÷ scikit-learn's. Every row, the peer's included, is timed
// the same way: `warmPasses` warm-up passes over the first `warm` matrices (all of them), then `passes` timed passes
// over all of them; the figure is the median pass (one pass of 400 fits lasts a tenth of a second, about as long as
// the machine's noise). A server's steady state is what the line measures: nmfBatch's first 2,000 or so fits run
// slower (2,100 fits/s in the first pass, 4,000–5,000 from the sixth on), while V8's heap and the addon's memory
// grow to their working size and the compilers reach its code, so one warm-up pass left its passes on that ramp. Two reference rows per backend run `nmfSync` on every core at once (syncInParallel), on a
// worker thread per core and in a process per core: the machine's cores on independent fits, against which
// nmfBatch's scheduling is judged; processes share no allocator, heap or garbage collector, so the second row is the
// most these cores give such fits.
import { fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { generateData } from './problems.mjs';
import { median } from './timing.mjs';
import { removeData, runPythonThroughput, writeData } from './python.mjs';

export const THROUGHPUT = {
  count: 400,
  quickCount: 40,
  K: 64,
  N: 64,
  R: 4,
  iterations: 100,
  warm: 400,
  warmPasses: 5,
  quickWarmPasses: 1,
  passes: 5,
  quickPasses: 2,
};

function matrices(count, K, N) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const { V } = generateData({ name: `throughput-${i}`, K, N, R: 1 });
    out.push({ rows: K, cols: N, data: V });
  }
  return out;
}

const MODES = [
  {
    id: 'nmfBatch',
    available: (api) => typeof api.nmfBatch === 'function',
    run: (api, list, options) => api.nmfBatch(list, options),
  },
  {
    id: 'await nmf',
    available: (api) => typeof api.nmf === 'function',
    run: async (api, list, options) => {
      const results = [];
      for (const V of list) results.push(await api.nmf(V, options));
      return results;
    },
  },
  {
    id: 'nmfSync',
    available: (api) => typeof api.nmfSync === 'function',
    run: async (api, list, options) => list.map((V) => api.nmfSync(V, options)),
  },
];

const INDEX = new URL('../../dist/index.js', import.meta.url).href;

const SHARE = new URL('./throughput-worker.mjs', import.meta.url);

/** A worker thread per core, or a process per core: each runs throughput-worker.mjs over the data it is given. */
const SPAWN = {
  threads: (data) => {
    const worker = new Worker(SHARE, { workerData: data });
    return { once: (event, f) => worker.once(event, f), send: (m) => worker.postMessage(m), stop: () => worker.terminate() };
  },
  processes: (data) => {
    const child = fork(SHARE, [], { serialization: 'advanced', stdio: 'inherit' });
    child.send(data);
    return { once: (event, f) => child.once(event, f), send: (m) => child.send(m), stop: () => child.kill() };
  },
};

/**
 * A reference row: `nmfSync` on one worker thread or process per core (`way`), each over its own share of the
 * matrices (every `cores`-th), all started together once every one has warmed up; each pass's wall time until the
 * last one is done. No scheduling, no hand-overs and no planning on a shared thread: what independent fits get from
 * the machine's cores.
 */
async function syncInParallel(way, list, options, warm, warmPasses, cores, passes) {
  const shares = Array.from({ length: cores }, (_, w) =>
    SPAWN[way]({ index: INDEX, matrices: list.filter((_, i) => i % cores === w), warm: Math.ceil(warm / cores), warmPasses, options }),
  );
  const next = (share) =>
    new Promise((resolve, reject) => {
      share.once('message', resolve);
      share.once('error', reject);
    });
  try {
    await Promise.all(shares.map(next));
    const seconds = [];
    for (let pass = 0; pass < passes; pass++) {
      const done = shares.map(next);
      const t0 = performance.now();
      for (const share of shares) share.send('go');
      const reports = await Promise.all(done);
      seconds.push((performance.now() - t0) / 1000);
      const bad = reports.find((r) => r.bad >= 0);
      if (bad) throw new Error(`a share's fit ${bad.bad} stopped before ${options.maxIter} iterations`);
    }
    return seconds;
  } finally {
    await Promise.all(shares.map((share) => share.stop()));
  }
}

/** A row's figures from its passes' seconds: the median pass, and every pass as measured. */
function timedRow(row, passSeconds, count) {
  const seconds = median(passSeconds);
  return { ...row, status: 'ok', seconds, passSeconds, fitsPerSecond: count / seconds, msPerFit: (seconds * 1000) / count };
}

/** scikit-learn's loop over the same matrices from the same W0/H0 (peers.py `throughput`): its row. */
function peerRow(python, list, init, spec) {
  const row = {
    mode: 'scikit-learn loop',
    backend: 'python',
    count: spec.count,
    K: spec.K,
    N: spec.N,
    rank: spec.R,
    iterations: spec.iterations,
  };
  if (!python?.chosen?.sklearn) return { ...row, status: 'skipped', note: python?.note ?? 'no Python with scikit-learn' };
  const T = new Float64Array(spec.count * spec.K * spec.N);
  list.forEach((V, i) => T.set(V.data, i * spec.K * spec.N));
  const dir = writeData({ T, W0: init.W0, H0: init.H0 });
  try {
    const out = runPythonThroughput(python, dir, spec);
    if (out.failure) return { ...row, status: 'error', note: out.failure };
    return timedRow(
      { ...row, label: `scikit-learn ${python.chosen.sklearn} fit_transform per matrix (solver='mu', init='custom')` },
      out.passSeconds,
      spec.count,
    );
  } finally {
    removeData(dir);
  }
}

export async function runThroughput(api, backendInfo, quick, python) {
  const { K, N, R, iterations, warm: warmCount } = THROUGHPUT;
  const count = quick ? THROUGHPUT.quickCount : THROUGHPUT.count;
  const passes = quick ? THROUGHPUT.quickPasses : THROUGHPUT.passes;
  const warmPasses = quick ? THROUGHPUT.quickWarmPasses : THROUGHPUT.warmPasses;
  const list = matrices(count, K, N);
  const init = generateData({ name: 'throughput-init', K, N, R });
  const warm = list.slice(0, Math.min(warmCount, count));
  const rows = [];
  for (const backend of ['native', 'wasm']) {
    const loaded = backendInfo[backend]?.loaded;
    const options = {
      rank: R,
      W: { rows: K, cols: R, data: init.W0 },
      H: { rows: R, cols: N, data: init.H0 },
      maxIter: iterations,
      tol: 0,
      backend,
    };
    const timed = (row, passSeconds) => timedRow(row, passSeconds, count);
    const failed = (row, error) => ({ ...row, status: 'error', note: String(error?.message ?? error).split('\n')[0] });
    for (const mode of MODES) {
      const row = { mode: mode.id, backend, count, K, N, rank: R, iterations };
      if (!mode.available(api)) {
        rows.push({ ...row, status: 'n/a', note: `${mode.id} is not exported by nmfkit (dist/index.js) in this build` });
        continue;
      }
      if (!loaded) {
        rows.push({ ...row, status: 'n/a', note: `${backend} backend not available` });
        continue;
      }
      try {
        for (let pass = 0; pass < warmPasses; pass++) await mode.run(api, warm, options);
        const seconds = [];
        for (let pass = 0; pass < passes; pass++) {
          const t0 = performance.now();
          const results = await mode.run(api, list, options);
          seconds.push((performance.now() - t0) / 1000);
          const bad = results.findIndex((r) => r.iterations !== iterations);
          if (results.length !== count || bad >= 0)
            throw new Error(`result ${bad} ran ${results[bad]?.iterations} of ${iterations} iterations`);
        }
        rows.push(timed(row, seconds));
      } catch (error) {
        rows.push(failed(row, error));
      }
    }
    const cores = availableParallelism();
    for (const way of ['threads', 'processes']) {
      const row = { mode: `nmfSync ×${cores} ${way}`, backend, count, K, N, rank: R, iterations, reference: true };
      if (!loaded) {
        rows.push({ ...row, status: 'n/a', note: `${backend} backend not available` });
        continue;
      }
      try {
        rows.push(timed(row, await syncInParallel(way, list, options, warm.length, warmPasses, cores, passes)));
      } catch (error) {
        rows.push(failed(row, error));
      }
    }
  }
  const peer = peerRow(python, list, init, { count, K, N, R, iterations, warm: warm.length, warmPasses, passes });
  rows.push(peer);
  for (const row of rows) {
    if (row.status === 'ok') row.ratioToSklearn = peer.status === 'ok' ? row.seconds / peer.seconds : null;
  }
  return {
    description: `${count} matrices ${K}×${N}, rank ${R}, ${iterations} iterations, tol 0, every fit from the same W0/H0, through the public API; scikit-learn: fit_transform per matrix in a Python loop (solver 'mu', init 'custom', same W0/H0); reference: nmfSync on one worker thread per core, and in one process per core, each over its share; median of ${passes} passes after ${warmPasses === 1 ? 'a warm-up pass' : `${warmPasses} warm-up passes`}`,
    rows,
  };
}
