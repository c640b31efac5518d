// The soak load, for test/soak/soak.test.ts (npm run test:soak): for NMFKIT_SOAK_SECONDS (default 100) of wall
// time, mixed fits on both backends through every entry — nmfSync, nmf, nmfBatch (failing fast and settled) —
// with random aborts (before the fit, while it waits for a slot, while it runs), time budgets (maxTime),
// onIteration stops, fits that overflow (a RangeError), random solvers, losses, dtypes, inits and threads; and
// every 1.5 s or so a Worker thread that imports nmfkit, starts an async fit and is terminated in the middle of it.
//
// Every promise it creates is counted and must settle with what its kind allows (a result, an AbortError, the
// overflow's RangeError); a fit of any other outcome is an error, and so is one still pending at the end. After
// the load: `activeFits()` must be zero on both backends, the process's active resources (handles, requests) no
// more than at the baseline, and the resident memory after GC flat over the last half of the load. Prints one line
// `soak: {…}` of JSON — counts, memory, resources, `ok` and the failures — and then ends by itself, with no
// process.exit(): the test measures how long the process takes to exit after that line (a leaked handle keeps it
// alive). NMFKIT_SOAK_SEED fixes the random choices (printed either way).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { backendInfo, nmf, nmfBatch, nmfSync } from '../../dist/index.js';
import { activeFits } from '../../dist/entry/node.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const MiB = 2 ** 20;
const seconds = Number(process.env.NMFKIT_SOAK_SECONDS ?? 100);
const seed = Number(process.env.NMFKIT_SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const failures = [];
const fail = (what) => failures.length < 20 && failures.push(what);

// mulberry32: the run's random choices from its seed.
let state = seed >>> 0;
function random() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
const pick = (list) => list[Math.floor(random() * list.length)];

const info = backendInfo();
const backends = ['native', 'wasm'].filter((b) => info[b].loaded);
if (backends.length < 2 && process.env.NMFKIT_REQUIRE_ALL_BACKENDS) {
  console.error(`soak: a backend did not load: ${JSON.stringify({ native: info.native.reason, wasm: info.wasm.reason })}`);
  process.exit(1);
}

function matrix(rows, cols) {
  const data = new Float64Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = random() < 0.1 ? 0 : random();
  return { rows, cols, data };
}

/** Options for a small problem, random over the algorithm's choices. */
function problem(large = false) {
  const K = large ? int(120, 200) : int(2, 40);
  const N = large ? int(120, 240) : int(2, 40);
  const rank = int(1, Math.min(large ? 12 : 6, K, N));
  const solver = pick(['mu', 'mu', 'hals']);
  const options = {
    rank,
    seed: int(0, 1e6),
    maxIter: large ? 100_000 : int(3, 60),
    tol: pick([0, 1e-4]),
    backend: pick(backends),
    solver,
    dtype: pick(['float64', 'float32']),
    init: pick(['random', 'random-scaled', 'nndsvd']),
    threads: int(1, 2),
  };
  if (solver === 'mu') options.loss = pick(['euclidean', 'euclidean', 'kl', 1.5]);
  if (solver === 'hals' && random() < 0.5) options.halsSweeps = int(1, 4);
  if (random() < 0.2) options.normalize = pick(['max', 'l1', 'l2']);
  if (random() < 0.2) options.stop = 'objective';
  return { V: matrix(K, N), options };
}

// Entries of 1e300 overflow in the first iteration: a RangeError.
const OVERFLOW = { rows: 2, cols: 2, data: [1e300, 1, 2, 1e300] };

// ---------------------------------------------------------------------------------------------------------------
// Promises, counted by kind and outcome.

const counts = { created: 0, settled: 0, pending: 0 };
const outcomes = {};
const pending = new Set();
const note = (kind, outcome) => {
  const key = `${kind}:${outcome}`;
  outcomes[key] = (outcomes[key] ?? 0) + 1;
};

/** Tracks `promise` of `kind`; `allowed(outcome, value)` says whether its outcome is one the kind may have. */
function track(kind, promise, allowed) {
  counts.created++;
  counts.pending++;
  const tracked = promise.then(
    (value) => ['fulfilled', value],
    (error) => ['rejected', error],
  );
  const entry = tracked.then(([status, value]) => {
    counts.settled++;
    counts.pending--;
    pending.delete(entry);
    const outcome = status === 'fulfilled' ? 'result' : value?.name === 'AbortError' ? 'abort' : (value?.constructor?.name ?? typeof value);
    note(kind, outcome);
    if (!allowed(outcome, value)) fail(`${kind}: ${outcome}: ${value?.message ?? JSON.stringify(value?.stopReason ?? value)}`);
  });
  pending.add(entry);
  return entry;
}

const finite = (r) => r.W.data.every(Number.isFinite) && r.H.data.every(Number.isFinite);
const resultOk = (r, options) => finite(r) && r.iterations <= options.maxIter;

// ---------------------------------------------------------------------------------------------------------------
// The kinds of work.

function syncFit() {
  const { V, options } = problem();
  const kind = int(0, 3);
  try {
    if (kind === 0) {
      const r = nmfSync(V, { ...options, onIteration: ({ iteration }) => iteration < 2 });
      if (!(r.iterations <= 2 && finite(r))) fail('sync: callback stop');
    } else if (kind === 1) {
      nmfSync(OVERFLOW, { ...options, rank: 2, init: 'random', loss: 'euclidean' });
      fail('sync: the overflow did not throw');
    } else if (kind === 2) {
      const r = nmfSync(V, { ...options, maxTime: int(0, 3) });
      if (!resultOk(r, options)) fail(`sync: maxTime result ${r.stopReason}`);
    } else {
      const r = nmfSync(V, options);
      if (!resultOk(r, options)) fail('sync: result');
    }
    note('sync', 'result');
  } catch (error) {
    note('sync', error.constructor.name);
    if (!(kind === 1 && error instanceof RangeError)) fail(`sync: ${error.constructor.name}: ${error.message}`);
  }
}

function asyncFit() {
  const large = random() < 0.15;
  const { V, options } = problem(large);
  const controller = new AbortController();
  const mode = large
    ? pick(['abort-running', 'maxTime'])
    : pick(['plain', 'plain', 'abort-before', 'abort-soon', 'maxTime', 'callback', 'overflow']);
  const o = { ...options, signal: controller.signal };
  if (mode === 'abort-before') controller.abort();
  if (mode === 'abort-soon' || mode === 'abort-running') setTimeout(() => controller.abort(), int(0, large ? 80 : 5));
  if (mode === 'maxTime') o.maxTime = int(1, large ? 60 : 5);
  if (mode === 'callback') o.onIteration = ({ iteration }) => iteration < int(1, 4);
  const input = mode === 'overflow' ? OVERFLOW : V;
  if (mode === 'overflow') Object.assign(o, { rank: 2, init: 'random', loss: 'euclidean' });
  return track(`nmf:${mode}`, nmf(input, o), (outcome, value) => {
    // An abort that comes after the fit ended (or a large fit that converged first) leaves its result.
    if (outcome === 'result') return mode !== 'overflow' && mode !== 'abort-before' && resultOk(value, o);
    if (outcome === 'abort') return mode.startsWith('abort');
    return mode === 'overflow' && outcome === 'RangeError';
  });
}

function batch() {
  const count = int(2, 6);
  const base = problem();
  const matrices = Array.from({ length: count }, () => matrix(int(2, 30), int(2, 30)));
  const rank = Math.min(base.options.rank, ...matrices.map((m) => Math.min(m.rows, m.cols)));
  const options = { ...base.options, rank };
  const controller = new AbortController();
  const mode = pick(['plain', 'settle', 'abort', 'maxTime', 'overflow', 'overflow-settle']);
  const list = mode.startsWith('overflow') ? [...matrices, OVERFLOW] : matrices;
  if (mode.startsWith('overflow')) Object.assign(options, { rank: 1, init: 'random', loss: 'euclidean' });
  if (mode === 'abort') setTimeout(() => controller.abort(), int(0, 5));
  if (mode === 'maxTime') options.maxTime = int(1, 5);
  const settle = mode.endsWith('settle');
  return track(`batch:${mode}`, nmfBatch(list, { ...options, settle, signal: controller.signal }), (outcome, value) => {
    if (outcome === 'abort') return mode === 'abort';
    if (outcome === 'RangeError') return mode === 'overflow';
    if (outcome !== 'result' || value.length !== list.length) return false;
    if (!settle) return mode !== 'overflow' && value.every((r) => resultOk(r, options));
    // settle: every matrix its own outcome; the overflowing one (last) a RangeError.
    return value.every((o, i) =>
      i === matrices.length ? o.status === 'rejected' && o.reason instanceof RangeError : o.status === 'fulfilled',
    );
  });
}

const ENTRY = new URL('../../dist/index.js', import.meta.url).href;
let workersStarted = 0;

/** A worker thread that imports nmfkit, starts a fit of seconds, and is terminated 20–300 ms into it. */
function workerTeardown() {
  const backend = pick(backends);
  const source = `
    const { nmf } = await import(${JSON.stringify(ENTRY)});
    const { parentPort } = await import('node:worker_threads');
    const K = 300, N = 400;
    const V = { rows: K, cols: N, data: Float64Array.from({ length: K * N }, (_, i) => ((i * 7919) % 1000) / 1000) };
    const pending = nmf(V, { rank: 16, maxIter: 100000, tol: 0, stop: 'none', backend: '${backend}' });
    parentPort.postMessage('running');
    await pending;`;
  workersStarted++;
  const worker = new Worker(`(async () => { ${source} })()`, { eval: true });
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const errored = new Promise((resolve) => worker.once('error', resolve));
  const done = (async () => {
    const first = await Promise.race([new Promise((resolve) => worker.once('message', resolve)), errored]);
    if (first !== 'running') throw first instanceof Error ? first : new Error(`worker: ${String(first)}`);
    await new Promise((resolve) => setTimeout(resolve, int(20, 300)));
    const started = performance.now();
    await worker.terminate();
    await exited;
    return performance.now() - started;
  })();
  return track(`worker:${backend}`, done, (outcome, ms) => outcome === 'result' && ms < 10_000);
}

// ---------------------------------------------------------------------------------------------------------------
// The load.

async function settleMemory() {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function resources() {
  const byType = {};
  for (const type of process.getActiveResourcesInfo()) byType[type] = (byType[type] ?? 0) + 1;
  return byType;
}

/** Runs the mix until `until` (performance.now()), keeping up to 16 async fits and batches in flight. */
async function load(until) {
  let nextWorker = performance.now();
  while (performance.now() < until) {
    for (let i = 0; i < 4; i++) syncFit();
    while (pending.size < 16) {
      if (random() < 0.8) asyncFit();
      else batch();
    }
    if (performance.now() >= nextWorker) {
      workerTeardown();
      nextWorker = performance.now() + int(1000, 2000);
    }
    // Let some of them finish; the sync fits above ran on this thread meanwhile.
    await Promise.race([...pending, new Promise((resolve) => setTimeout(resolve, 20))]);
  }
  // Everything started must settle; 60 s is far beyond the longest (a fit of a few hundred ms, a worker's exit).
  let timer;
  const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), 60_000)));
  if ((await Promise.race([Promise.all([...pending]), late])) === 'late')
    fail(`${pending.size} promises still pending 60 s after the load`);
  clearTimeout(timer);
}

const started = performance.now();
// Warm-up: pools, worker threads, JIT code and the wasm heaps exist before the baseline.
await load(performance.now() + Math.min(10, seconds / 6) * 1000);
await settleMemory();
const baseline = { rss: process.memoryUsage().rss, resources: resources() };

// The load in four quarters, memory measured after each.
const quarter = ((seconds - Math.min(10, seconds / 6)) * 1000) / 4;
const rss = [];
for (let q = 0; q < 4; q++) {
  await load(performance.now() + quarter);
  await settleMemory();
  rss.push(process.memoryUsage().rss);
}
await settleMemory();
const end = { resources: resources(), fits: activeFits() };

for (const [type, n] of Object.entries(end.resources)) {
  if (n > (baseline.resources[type] ?? 0)) fail(`resources: ${n} ${type} at the end, ${baseline.resources[type] ?? 0} at the baseline`);
}
if (end.fits.native !== 0 || end.fits.wasm !== 0) fail(`activeFits() at the end: ${JSON.stringify(end.fits)}`);
if (counts.pending !== 0 || counts.settled !== counts.created) fail(`promises: ${JSON.stringify(counts)}`);
const growth = {
  wholeMiB: (rss[3] - baseline.rss) / MiB,
  quartersMiB: rss.map((r, i) => (r - (i === 0 ? baseline.rss : rss[i - 1])) / MiB),
};
// Flat over the last half: the smaller of the last two quarters' growths (a leak grows both; a one-time step of
// malloc's arenas or V8's heap sizing only one), and the last half as a whole within a looser bound.
const lastHalfMiB = (rss[3] - rss[1]) / MiB;
const lastQuarterMiB = Math.min(growth.quartersMiB[2], growth.quartersMiB[3]);
if (lastQuarterMiB > 16) fail(`RSS grew ${lastQuarterMiB.toFixed(1)} MiB in each of the last two quarters`);
if (lastHalfMiB > 48) fail(`RSS grew ${lastHalfMiB.toFixed(1)} MiB over the last half`);

const summary = {
  ok: failures.length === 0,
  seed,
  seconds: (performance.now() - started) / 1000,
  backends,
  promises: counts,
  workers: workersStarted,
  outcomes,
  rssMiB: { baseline: baseline.rss / MiB, quarters: rss.map((r) => r / MiB), ...growth, lastHalfMiB },
  resources: { baseline: baseline.resources, end: end.resources },
  activeFits: end.fits,
  failures,
};
console.log(`soak: ${JSON.stringify(summary)}`);
// No process.exit(): the process must end by itself, now.
