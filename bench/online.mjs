#!/usr/bin/env node
// Online against batch NMF on the man pages' TF-IDF matrix (test/fixtures/manpages-tfidf, transposed: 2000 terms
// × 2916 pages, the pages as samples): the time each takes to come within 5 % of the objective of a long batch
// fit, for nmfkit and for scikit-learn (PERFORMANCE.md, "Online NMF"). Runs the built package (`npm run build` and
// `npm run build:native` first):
//
//   node bench/online.mjs [--rank 20] [--reference 400] [--batch-size 1024] [--init nndsvda] [--backend native|wasm]
//                         [--python PATH|none]
//
// The target is 1.05 × the objective of nmfSync(V, { rank, init, seed, maxIter: reference, stop: 'none' }) (MU
// Euclidean, ½‖V − WH‖²_F). Batch: nmfSync with maxIter 1, 2, 4, … from the same start, each call timed whole
// (wall time), until one reaches the target. Online: NMF({ solver: 'minibatch', batchSize, init, seed, maxIter: e,
// tol: 0, maxNoImprovement: null }).fit(V) with e = 1, 2, 4, … epochs, timed whole, its objective over all of V.
// scikit-learn (bench/peers.py `online`): NMF(solver='mu') and MiniBatchNMF with the same rank, init, batch size
// and doubling counts on the same matrix as scipy.sparse (pages as rows), against the same target. The default
// init is MiniBatchNMF's. Each line prints the load average before it.
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { NMF, nmfSync } from '../dist/index.js';
import { loadAverage } from './lib/machine.mjs';
import { choosePython, removeData, runPythonOnline } from './lib/python.mjs';

const { values } = parseArgs({
  options: {
    rank: { type: 'string', default: '20' },
    reference: { type: 'string', default: '400' },
    'batch-size': { type: 'string', default: '1024' },
    init: { type: 'string', default: 'nndsvda' },
    backend: { type: 'string', default: 'native' },
    'max-epochs': { type: 'string', default: '64' },
    python: { type: 'string' },
  },
});
const rank = Number(values.rank);
const backend = values.backend;
const batchSize = Number(values['batch-size']);
const maxEpochs = Number(values['max-epochs']);
const corpus = JSON.parse(
  gunzipSync(readFileSync(new URL('../test/fixtures/manpages-tfidf/tfidf.json.gz', import.meta.url))).toString('utf8'),
);
// The fixture is pages × terms; nmfkit's samples are columns, so V is its transpose: terms × pages.
const V = transposeCsr(corpus);

const common = { rank, seed: 1, init: values.init, backend };
const load = () => loadAverage().one.toFixed(2);
const ms = (seconds) => (seconds * 1000).toFixed(0).padStart(7);

const reference = nmfSync(V, { ...common, maxIter: Number(values.reference), stop: 'none', spectralError: false }).objective;
const target = 1.05 * reference;
console.log(
  `V ${V.rows}×${V.cols} (nnz ${V.data.length}), rank ${rank}, init ${values.init}, ${backend}; reference objective ${reference.toPrecision(6)} (${values.reference} MU iterations), target ${target.toPrecision(6)}`,
);

const reached = {};
for (let n = 1; ; n *= 2) {
  const before = load();
  const started = performance.now();
  const { objective } = nmfSync(V, { ...common, maxIter: n, stop: 'none', spectralError: false });
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `nmfkit batch MU ${String(n).padStart(4)} iterations: ${ms(seconds)} ms, objective ${objective.toPrecision(6)} (load ${before})`,
  );
  if (objective <= target) {
    reached['nmfkit batch'] = seconds;
    break;
  }
}
for (let epochs = 1; epochs <= maxEpochs; epochs *= 2) {
  const before = load();
  const started = performance.now();
  const model = new NMF({ ...common, solver: 'minibatch', batchSize, maxIter: epochs, tol: 0, maxNoImprovement: null }).fit(V);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `nmfkit online batchSize ${batchSize}, ${String(epochs).padStart(3)} epochs: ${ms(seconds)} ms, objective ${model.objective.toPrecision(6)} (load ${before})`,
  );
  if (model.objective <= target) {
    reached['nmfkit online'] = seconds;
    break;
  }
}

const python = choosePython(values.python);
if (python.chosen?.sklearn) {
  const dir = mkdtempSync(join(tmpdir(), 'nmfkit-online-'));
  const write = (name, a) => writeFileSync(join(dir, name), new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  write('indptr.i32', Int32Array.from(corpus.indptr));
  write('indices.i32', Int32Array.from(corpus.indices));
  write('data.f64', Float64Array.from(corpus.data));
  const before = load();
  const peers = runPythonOnline(python, dir, {
    rows: corpus.rows,
    cols: corpus.cols,
    R: rank,
    target,
    init: values.init,
    seed: 1,
    batchSize,
    maxIter: 1024,
    maxEpochs,
  });
  removeData(dir);
  if (peers.failure) console.log(`scikit-learn peers failed: ${peers.failure}`);
  else {
    for (const [name, runs] of [
      ['scikit-learn batch MU', peers.batch],
      ['scikit-learn MiniBatchNMF', peers.minibatch],
    ]) {
      for (const { n, seconds, objective } of runs) {
        console.log(`${name} ${String(n).padStart(4)}: ${ms(seconds)} ms, objective ${objective.toPrecision(6)} (load ${before})`);
      }
      const last = runs.at(-1);
      if (last && last.objective <= target) reached[name] = last.seconds;
    }
  }
} else console.log(python.note);

console.log('\ntime to the target (whole calls):');
for (const [name, seconds] of Object.entries(reached)) console.log(`  ${name.padEnd(28)} ${ms(seconds)} ms`);
console.log(`  load average at the end: ${load()}`);

/** The CSR of the transpose of a CSR matrix given as plain arrays. */
function transposeCsr({ rows, cols, indptr, indices, data }) {
  const counts = new Int32Array(cols + 1);
  for (const j of indices) counts[j + 1]++;
  for (let j = 0; j < cols; j++) counts[j + 1] += counts[j];
  const next = counts.slice(0, cols);
  const tIndices = new Int32Array(indices.length);
  const tData = new Float64Array(indices.length);
  for (let i = 0; i < rows; i++) {
    for (let p = indptr[i]; p < indptr[i + 1]; p++) {
      const q = next[indices[p]]++;
      tIndices[q] = i;
      tData[q] = data[p];
    }
  }
  return { format: 'csr', rows: cols, cols: rows, indptr: counts, indices: tIndices, data: tData };
}
