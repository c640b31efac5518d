#!/usr/bin/env node
// What one MU iteration costs for every loss and the mask, next to the libfmp-compatible Euclidean MU on the same
// backend, dtype and thread count (PERFORMANCE.md, "MU β and masks: per-iteration cost"). Runs the built package
// (`npm run build` and `npm run build:native` first):
//
//   node bench/mu-cost.mjs [--reps 5] [--only REGEX] [--checkpoints] [--least] [--root DIR,DIR…]
//
// The problem is the bench's spectrogram problem (1025×2000, R = 32, bench/lib/problems.mjs), the mask its 20 %
// zeros. A timing is one fit through the backend contract (`planFit` → `problemFor` → `createFit`): one untimed
// iteration, then `run` of n more with the stop rule off and no objective (--checkpoints: the objective at every
// iteration). Rows on one thread report CPU time (process.cpuUsage, robust to the other core's load), rows on a
// team of 2 wall time. Every (root, row, loss) is timed once per round, interleaved, for `--reps` rounds; the
// figure is the median (--least: the least, for wall times on a machine whose other core is busy now and then).
// --root compares builds: each DIR a package root with dist/, build/Release/ and wasm/
// (another checkout, after its builds), labelled by its last path component.
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadAverage } from './lib/machine.mjs';
import { EPS, PROBLEMS, generateData, generateMask } from './lib/problems.mjs';
import { median } from './lib/timing.mjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    only: { type: 'string' },
    checkpoints: { type: 'boolean', default: false },
    least: { type: 'boolean', default: false },
    root: { type: 'string', default: fileURLToPath(new URL('..', import.meta.url)) },
  },
});
const only = values.only ? new RegExp(values.only) : undefined;
const problem = PROBLEMS.find((p) => p.name === 'spectrogram');
const { K, N, R } = problem;
const { V, W0, H0 } = generateData(problem);
const mask = generateMask(problem, 0.2);
const Vmasked = V.map((v, i) => (mask[i] === 0 ? 0 : v));

const LOSSES = [
  ['Euclidean', {}],
  ['KL', { loss: 'kl' }],
  ['IS', { loss: 'is' }],
  ['β = 0.5', { loss: 0.5 }],
  ['β = 1.5', { loss: 1.5 }],
  ['β = 0.7', { loss: 0.7 }],
  ['Euclidean + mask', { mask: { rows: K, cols: N, data: mask } }],
  ['KL + mask', { loss: 'kl', mask: { rows: K, cols: N, data: mask } }],
];
const ROWS = [
  ['native f64, 1 thread', 'native', 'float64', 1],
  ['native f32, 1 thread', 'native', 'float32', 1],
  ['native f64, 2 threads', 'native', 'float64', 2],
  ['native f32, 2 threads', 'native', 'float32', 2],
  ['wasm f64', 'wasm', 'float64', 1],
  ['wasm f32', 'wasm', 'float32', 1],
].filter(([label]) => !only || only.test(label));

const roots = [];
for (const dir of values.root.split(',').map((d) => resolve(d))) {
  roots.push({
    name: basename(dir),
    planFit: (await import(`${dir}/dist/options.js`)).planFit,
    chooseBackend: (await import(`${dir}/dist/entry/node.js`)).chooseBackend,
  });
}

/** Iterations per timing: about 0.1–0.3 s each. */
const iterations = (backend, dtype, loss) =>
  Math.max(3, ((backend === 'wasm' ? 5 : 10) * (dtype === 'float32' ? 2 : 1)) / (loss.startsWith('β') ? 2 : 1));

function time(root, [, backend, dtype, threads], [loss, options]) {
  const b = root.chooseBackend(backend);
  const n = Math.round(iterations(backend, dtype, loss));
  const plan = root.planFit(options.mask ? { rows: K, cols: N, data: Vmasked } : { rows: K, cols: N, data: V }, {
    rank: R,
    W: { rows: K, cols: R, data: W0 },
    H: { rows: R, cols: N, data: H0 },
    maxIter: n + 1,
    stop: 'none',
    eps: EPS,
    errorEvery: values.checkpoints ? 1 : 2 ** 31 - 1,
    spectralError: false,
    dtype,
    threads,
    backend,
    ...options,
  });
  const fit = b.createFit(plan.problemFor(0, b, threads).problem);
  const [h, w, f] = [0, 1, 2].map(() => new Float64Array(n + 1));
  fit.run(1, h, w, 0, f);
  const cpu = process.cpuUsage();
  const start = performance.now();
  fit.run(n, h, w, 1, f);
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  fit.dispose();
  return (threads === 1 ? (used.user + used.system) / 1000 : wall) / n;
}

const load = () =>
  Object.values(loadAverage())
    .map((x) => x.toFixed(2))
    .join(' ');
const loadStart = load();
const started = new Date();
const samples = new Map();
for (let rep = 0; rep < Number(values.reps); rep++) {
  for (const row of ROWS) {
    for (const loss of LOSSES) {
      for (const root of roots) {
        const key = `${root.name}|${row[0]}|${loss[0]}`;
        samples.set(key, [...(samples.get(key) ?? []), time(root, row, loss)]);
      }
    }
  }
}

const digits = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
console.log(
  `${started.toISOString()}, load average ${loadStart} at the start, ${load()} at the end; ` +
    `ms per iteration, ${values.least ? 'least' : 'median'} of ${values.reps} rounds (× the Euclidean MU of the same row)` +
    `${values.checkpoints ? ', objective at every iteration' : ''}\n`,
);
console.log(`| row | ${roots.length > 1 ? 'build | ' : ''}${LOSSES.map(([l]) => l).join(' | ')} |`);
console.log(`|---|${roots.length > 1 ? '---|' : ''}${LOSSES.map(() => '--:').join('|')}|`);
for (const row of ROWS) {
  for (const root of roots) {
    const figure = values.least ? (t) => Math.min(...t) : median;
    const ms = LOSSES.map(([l]) => figure(samples.get(`${root.name}|${row[0]}|${l}`)));
    const cells = ms.map((m, i) => (i === 0 ? digits(m) : `${digits(m)} (${(m / ms[0]).toFixed(2)}×)`));
    console.log(`| ${row[0]} | ${roots.length > 1 ? `${root.name} | ` : ''}${cells.join(' | ')} |`);
  }
}
