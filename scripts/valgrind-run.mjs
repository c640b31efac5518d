// The short native run that scripts/valgrind.sh executes under valgrind's memcheck: every path of the native glue
// and kernels once — sync and async fits of awkward shapes, both dtypes, normalisation, callbacks that stop or
// throw, aborts before, during and after a run, the overflow rule, hostile arguments straight to the addon,
// buffers detached under a pending runAsync, fits disposed while they run or never disposed at all — then a
// forced GC, so that every fit's native memory has been released (or is reported as a definite leak) at exit.
//
// Runs the built package (dist/) on the native backend only; node is started with --jitless (no WebAssembly).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { nmf, nmfBatch, nmfSync, setThreads } from '../dist/index.js';
import { defaultSpec, encodeSpec } from '../dist/spec.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = createRequire(import.meta.url)('node-gyp-build')(root);
const gc = globalThis.gc ?? (() => {});

let seed = 1;
function random(rows, cols, scale = 1) {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    data[i] = (seed / 2147483648) * scale;
  }
  return { rows, cols, data };
}

function expectError(run, pattern) {
  try {
    run();
  } catch (error) {
    if (!pattern.test(error.message)) throw new Error(`unexpected error ${error.message}`);
    return;
  }
  throw new Error(`expected an error matching ${pattern}`);
}

async function expectRejection(promise, pattern) {
  try {
    await promise;
  } catch (error) {
    if (!pattern.test(error.message) && !pattern.test(error.name)) throw new Error(`unexpected error ${error.message}`);
    return;
  }
  throw new Error(`expected a rejection matching ${pattern}`);
}

const backend = 'native';
let fits = 0;

// Shapes: one row, one column, rank above both sides, tall, wide; both dtypes; normalisation.
for (const [K, N, R] of [
  [1, 1, 1],
  [1, 9, 3],
  [9, 1, 2],
  [5, 7, 11],
  [33, 17, 4],
  [64, 65, 8],
]) {
  for (const dtype of ['float64', 'float32']) {
    for (const normalize of ['none', 'max']) {
      const r = nmfSync(random(K, N), { rank: R, seed: K + N, maxIter: 12, tol: 0, dtype, normalize, backend });
      if (r.iterations !== 12 || !(r.spectralError >= 0)) throw new Error('bad fit');
      fits++;
    }
  }
}
// The algorithms beyond libfmp-compatible MU (docs/algorithms.md): every loss, HALS, penalties, fixed factors, masks, stop
// rules and normalisations, plain and fused kernels, both dtypes.
{
  const V = random(24, 18, 1);
  const mask = { rows: 24, cols: 18, data: Float64Array.from(V.data, (_, k) => (k % 4 === 0 ? 0 : k % 3 === 0 ? 0.5 : 1)) };
  const cases = [
    { loss: 'kl' },
    { loss: 'is' },
    { loss: 0.5, l1H: 0.1 },
    { loss: 3, l2W: 0.1 },
    { loss: 'kl', l2H: 0.2 },
    { mask },
    { loss: 'kl', mask, fixedColumnsW: [1] },
    { solver: 'hals', l1W: 0.1, l2H: 0.1 },
    { solver: 'hals', updateW: false },
    { updateH: false, normalize: 'l2' },
    { fixedColumnsW: [0, 2], normalize: 'l1' },
    { stop: 'objective', tol: 1e-4, errorEvery: 3 },
    { loss: 'kl', stop: 'objective', tol: 1e-3 },
    { restarts: 2, stop: 'none' },
    { solver: 'hals', halsSweeps: 4, l1W: 0.1, fixedColumnsW: [1] },
    { init: 'nndsvda', spectralError: false },
    { init: 'nndsvdar', seed: 3, threads: 2 },
    { threads: 2, normalize: 'max' },
  ];
  for (const extra of cases) {
    for (const dtype of ['float64', 'float32']) {
      const r = nmfSync(V, { rank: 4, seed: 7, maxIter: 15, dtype, backend, ...extra });
      if (!(r.objective >= 0) || r.objectiveHistory.values.length < 2) throw new Error(`bad fit ${JSON.stringify(extra)}`);
      fits++;
    }
  }
  await nmf(V, { rank: 4, seed: 8, maxIter: 15, loss: 'kl', mask, backend });
  await nmf(V, { rank: 4, maxIter: 15, init: 'nndsvd', backend });
  expectError(() => nmfSync(V, { rank: 2, loss: 2 ** 31, maxIter: 3, backend }), /cannot be computed/);
  fits += 3;
}

// Sparse data, all-zero rows and columns, an all-zero V, tiny and subnormal data.
const sparse = random(20, 30);
for (let i = 0; i < sparse.data.length; i++) if (i % 3 !== 0 || Math.floor(i / 30) === 4) sparse.data[i] = 0;
nmfSync(sparse, { rank: 5, seed: 2, maxIter: 20, backend });
nmfSync({ rows: 4, cols: 5, data: new Float64Array(20) }, { rank: 2, seed: 3, maxIter: 5, backend });
nmfSync(random(6, 6, 1e-300), { rank: 2, seed: 4, maxIter: 5, backend });
nmfSync({ rows: 2, cols: 2, data: [5e-324, 0, 1e-310, 5e-324] }, { rank: 3, seed: 4, maxIter: 5, backend });
fits += 4;

// The overflow rule and the memory rule.
expectError(() => nmfSync({ rows: 2, cols: 2, data: [1e300, 1, 1, 1e300] }, { rank: 2, maxIter: 3, backend }), /cannot be computed/);
expectError(() => nmfSync({ rows: 2, cols: 2, data: [0, 0, 0, 0] }, { rank: 1, eps: 0, maxIter: 3, backend }), /cannot be computed/);
expectError(() => nmfSync([[1]], { rank: 2 ** 31 - 1, backend }), /needs at least|too large/);

// Callbacks that stop or throw; a time budget.
nmfSync(random(10, 10), { rank: 3, seed: 5, tol: 0, backend, onIteration: ({ iteration }) => iteration < 4 });
expectError(
  () =>
    nmfSync(random(10, 10), {
      rank: 3,
      backend,
      onIteration: () => {
        throw new Error('callback');
      },
    }),
  /callback/,
);
nmfSync(random(40, 40), { rank: 4, seed: 6, tol: 0, maxIter: 1e6, maxTime: 20, backend });
fits += 3;

// Async fits, concurrently, with BLAS threads changed in between; aborts before, during and after.
setThreads({ fits: 2, blasThreads: 2 });
await Promise.all(Array.from({ length: 6 }, (_, i) => nmf(random(20 + i, 15, 2), { rank: 1 + i, seed: i, maxIter: 15, tol: 0, backend })));
setThreads({ fits: 2, blasThreads: 1 });
// A batch of small fits: groups on the runners' lanes (a run that takes the next group while it runs, groups that
// settle while their run goes on), and a batch aborted while its lanes run.
{
  const matrices = Array.from({ length: 60 }, (_, i) => random(8, 6 + (i % 3), 2));
  const results = await nmfBatch(matrices, { rank: 2, seed: 3, maxIter: 20, tol: 0, backend });
  if (results.length !== 60 || results.some((r) => r.iterations !== 20)) throw new Error('a batch fit stopped early');
  fits += 60;
  const stop = new AbortController();
  const pending = nmfBatch(matrices, { rank: 2, seed: 3, maxIter: 5000, tol: 0, backend, signal: stop.signal });
  setTimeout(() => stop.abort('batch'), 50);
  await expectRejection(pending, /AbortError|batch/);
}
{
  const before = new AbortController();
  before.abort('before');
  await expectRejection(nmf(random(8, 8), { rank: 2, signal: before.signal, backend }), /AbortError/);
  const during = new AbortController();
  await expectRejection(
    nmf(random(30, 30), {
      rank: 3,
      tol: 0,
      maxIter: 1e6,
      signal: during.signal,
      backend,
      onIteration: ({ iteration }) => void (iteration === 3 && during.abort('during')),
    }),
    /AbortError/,
  );
  const timer = new AbortController();
  const pending = nmf(random(60, 60), { rank: 4, tol: 0, maxIter: 1e6, signal: timer.signal, backend });
  setTimeout(() => timer.abort('timer'), 50);
  await expectRejection(pending, /AbortError/);
  const after = new AbortController();
  await nmf(random(8, 8), { rank: 2, maxIter: 3, signal: after.signal, backend });
  after.abort('after');
  await expectRejection(
    nmf(random(8, 8), {
      rank: 2,
      backend,
      onIteration: () => {
        throw new Error('async callback');
      },
    }),
    /async callback/,
  );
  await expectRejection(nmf({ rows: 2, cols: 2, data: [1e300, 1, 1, 1e300] }, { rank: 2, maxIter: 3, backend }), /cannot be computed/);
  fits += 12;
}

// The addon, directly: hostile arguments, sizes, a detached output buffer, disposal while a run is pending.
{
  const f64 = (n) => new Float64Array(n).fill(0.5);
  // The libfmp-compatible MU specification of a rows×cols rank-R fit (src/spec.ts), with changes, as slots.
  const spec = (rows, cols, rank, changes = {}) => encodeSpec(defaultSpec(rows, cols, rank, { tol: 0, ...changes }));
  const fitOf = (rows, cols, rank, changes = {}) =>
    new addon.Fit(
      spec(rows, cols, rank, changes),
      f64(rows * cols),
      f64(rows * rank),
      f64(rank * cols),
      changes.masked ? f64(rows * cols) : null,
      new Uint8Array(rank),
    );
  for (const args of [
    ['2', f64(6), f64(4), f64(6), null, new Uint8Array(2)],
    [spec(2, 3, 2), f64(5), f64(4), f64(6), null, new Uint8Array(2)],
    [spec(2, 3, 2), new Int32Array(6), f64(4), f64(6), null, new Uint8Array(2)],
    [spec(2, 3, 2), new Float32Array(5), f64(4), f64(6), null, new Uint8Array(2)],
    [spec(2 ** 30, 2 ** 30, 2 ** 30), f64(0), f64(0), f64(0), null, new Uint8Array(0)],
    [spec(2, 3, 2, { masked: true }), f64(6), f64(4), f64(6), f64(5), new Uint8Array(2)],
    [Float64Array.from(spec(2, 3, 2), (x, i) => (i === 4 ? 7 : x)), f64(6), f64(4), f64(6), null, new Uint8Array(2)],
  ]) {
    expectError(() => new addon.Fit(...args), /./);
  }
  const fit = fitOf(2, 3, 2, { normalize: 'max' });
  expectError(() => fit.run(4, new Float64Array(3), new Float64Array(4), 0), /length/);
  expectError(() => fit.run(1, new Float64Array(4), new Float64Array(4), 2 ** 53), /offset/);
  expectError(() => Object.getPrototypeOf(fit).run.call({}, 1, new Float64Array(1), new Float64Array(1), 0), /./);
  const h = new Float64Array(8);
  const pending = fit.runAsync(4, h, new Float64Array(8), 0);
  structuredClone(h.buffer, { transfer: [h.buffer] });
  await expectRejection(pending, /detached/);
  fit.finish();
  fit.dispose();
  fit.dispose();
  for (let i = 0; i < 10; i++) {
    const running = fitOf(20, 30, 4);
    const done = running.runAsync(50, new Float64Array(50), new Float64Array(50), 0);
    if (i % 2) running.dispose();
    else running.cancel();
    await done;
  }
  const finishing = fitOf(20, 30, 4, { solver: 'mu-beta', beta: 1, masked: true });
  await finishing.runAsync(5, new Float64Array(5), new Float64Array(5), 0);
  await finishing.finishAsync();
  // Never disposed: the garbage collector frees it.
  for (let i = 0; i < 5; i++) fitOf(10, 10, 3, { solver: 'hals', blockRows: 4 }).run(2, new Float64Array(2), new Float64Array(2), 0);
  // V as a Float32Array (a synchronous fit's borrowed V), read into a float64 and a float32 fit.
  for (const dtype of ['float64', 'float32']) {
    const borrowed = new addon.Fit(spec(12, 9, 3, { dtype }), new Float32Array(108).fill(0.25), f64(36), f64(27), null, new Uint8Array(3));
    borrowed.run(3, new Float64Array(3), new Float64Array(3), 0);
    borrowed.finish();
    borrowed.dispose();
  }
  // A lane: a group that joins its run, and one given after this thread was kept busy long enough for the run's thread
  // to find nothing left: a run that has ended but not yet settled refuses it, and it is released (memcheck's
  // threads take turns, so on a slow machine the run may still take it; either way nothing may leak).
  const lane = new addon.Lane();
  const [a, b, c] = [fitOf(6, 5, 2), fitOf(6, 5, 2), fitOf(6, 5, 2)];
  const run = lane.start([a], 3);
  const joined = lane.append([b], 3);
  const until = Date.now() + 5000;
  while (Date.now() < until);
  const late = lane.append([c], 3);
  await Promise.all([run.done, joined, run.drained, late].filter(Boolean));
  for (const fit of [a, b, c]) fit.dispose();
}

// Let the garbage collector finalize every fit object before exit.
for (let i = 0; i < 3; i++) {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
}
const loaded = readFileSync('/proc/self/maps', 'utf8')
  .split('\n')
  .find((line) => line.endsWith('nmfkit.node'));
console.log(`addon: ${loaded?.split(/\s+/).at(-1)}`);
console.log(`valgrind-run.mjs: ${fits} fits and the addon's error paths ran`);
