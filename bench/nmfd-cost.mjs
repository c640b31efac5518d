#!/usr/bin/env node
// What one NMFD iteration costs (PERFORMANCE.md, "NMFD: per-iteration cost"), per backend and native team size, on
// two problems: the drum demo's size (513×388, R = 3, T = 8) and a longer spectrogram (1025×2000, R = 8, T = 8).
// Runs the built package (`npm run build` and `npm run build:native` first):
//
//   node bench/nmfd-cost.mjs [--reps 5]
//
// A timing is one whole nmfdSync call of n iterations (stop 'none', errorEvery = n, so the objective is evaluated
// once) minus one of a single iteration, divided by n − 1: the per-iteration cost without the call's fixed part.
// Rows on one thread report CPU time (process.cpuUsage, robust to the other core's load), rows on a team of 2 wall
// time. The figure is the median over --reps rounds; the load average is printed at the start and the end.
import { parseArgs } from 'node:util';
import { nmfdSync, backendInfo } from '../dist/index.js';
import { loadAverage } from './lib/machine.mjs';
import { median } from './lib/timing.mjs';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '5' } } });
const reps = Number(values.reps);
const PROBLEMS = [
  { name: 'drums 513×388, R=3, T=8', K: 513, N: 388, R: 3, T: 8, n: 30 },
  { name: 'spectrogram 1025×2000, R=8, T=8', K: 1025, N: 2000, R: 8, T: 8, n: 10 },
];
const ROWS = [
  { label: 'native, 1 thread', backend: 'native', threads: 1, clock: 'cpu' },
  { label: 'native, 2 threads', backend: 'native', threads: 2, clock: 'wall' },
  { label: 'wasm', backend: 'wasm', threads: 1, clock: 'cpu' },
];

function data(K, N) {
  // A fixed, nonnegative, spectrogram-like V: decaying bands with a little texture.
  const V = new Float64Array(K * N);
  for (let k = 0; k < K; k++)
    for (let n = 0; n < N; n++) V[k * N + n] = (1 + Math.sin(0.37 * k + 0.11 * n) ** 2) / (1 + k / 50) + ((k * 7 + n * 13) % 17) / 170;
  return { rows: K, cols: N, data: V };
}

function timed(clock, f) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  f();
  if (clock === 'wall') return performance.now() - t0;
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000;
}

const start = loadAverage();
console.log(`load average at the start: ${start.one.toFixed(2)} ${start.five.toFixed(2)} ${start.fifteen.toFixed(2)}`);
const info = backendInfo();
console.log(`native: ${info.native.loaded ? (info.native.blas?.vendor ?? 'loaded') : 'not loaded'}; Node ${process.version}`);
for (const p of PROBLEMS) {
  const V = data(p.K, p.N);
  console.log(`\n${p.name}: ms per iteration (median of ${reps})`);
  for (const row of ROWS) {
    if (!info[row.backend].loaded) continue;
    const options = { rank: p.R, templateFrames: p.T, seed: 1, stop: 'none', backend: row.backend, threads: row.threads };
    const fit = (n) => nmfdSync(V, { ...options, maxIter: n, errorEvery: n });
    fit(2); // warm-up
    const samples = [];
    for (let r = 0; r < reps; r++) samples.push((timed(row.clock, () => fit(p.n)) - timed(row.clock, () => fit(1))) / (p.n - 1));
    console.log(`  ${row.label.padEnd(18)} ${median(samples).toFixed(2)} (${row.clock})`);
  }
}
const end = loadAverage();
console.log(`\nload average at the end: ${end.one.toFixed(2)} ${end.five.toFixed(2)} ${end.fifteen.toFixed(2)}`);
