#!/usr/bin/env node
// Online against batch NMF on the man pages' TF-IDF matrix (test/fixtures/manpages-tfidf, transposed: 2000 terms
// × 2916 pages, the pages as samples): the time each takes to come within 5 % of the objective of a long batch
// fit (PERFORMANCE.md, "Online NMF"). Runs the built package (`npm run build` and `npm run build:native` first):
//
//   node bench/online.mjs [--rank 20] [--reference 400] [--batch-size 256] [--backend native|wasm]
//
// The target is 1.05 × the objective of nmfSync(V, { rank, seed, maxIter: reference, stop: 'none' }) (MU Euclidean,
// ½‖V − WH‖²_F). Batch: nmfSync with maxIter 1, 2, 4, … from the same seed, each call timed whole (wall time),
// until one reaches the target. Online: NMF({ solver: 'minibatch', batchSize, seed, maxIter: e, tol: 0,
// maxNoImprovement: null }).fit(V) with e = 1, 2, 4, … epochs, timed whole, its objective over all of V. Each
// line prints the load average before it.
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { NMF, nmfSync } from '../dist/index.js';
import { loadAverage } from './lib/machine.mjs';

const { values } = parseArgs({
  options: {
    rank: { type: 'string', default: '20' },
    reference: { type: 'string', default: '400' },
    'batch-size': { type: 'string', default: '256' },
    backend: { type: 'string', default: 'native' },
    'max-epochs': { type: 'string', default: '64' },
  },
});
const rank = Number(values.rank);
const backend = values.backend;
const corpus = JSON.parse(
  gunzipSync(readFileSync(new URL('../test/fixtures/manpages-tfidf/tfidf.json.gz', import.meta.url))).toString('utf8'),
);
// The fixture is pages × terms; nmfkit's samples are columns, so V is its transpose: terms × pages.
const V = transposeCsr(corpus);

const common = { rank, seed: 1, backend };
const load = () => loadAverage().one.toFixed(2);

const reference = nmfSync(V, { ...common, maxIter: Number(values.reference), stop: 'none', spectralError: false }).objective;
const target = 1.05 * reference;
console.log(
  `V ${V.rows}×${V.cols} (nnz ${V.data.length}), rank ${rank}, ${backend}; reference objective ${reference.toPrecision(6)} (${values.reference} MU iterations), target ${target.toPrecision(6)}`,
);

for (let n = 1; ; n *= 2) {
  const before = load();
  const started = performance.now();
  const { objective } = nmfSync(V, { ...common, maxIter: n, stop: 'none', spectralError: false });
  const ms = performance.now() - started;
  console.log(
    `batch  MU ${String(n).padStart(4)} iterations: ${ms.toFixed(0).padStart(7)} ms, objective ${objective.toPrecision(6)} (load ${before})`,
  );
  if (objective <= target) break;
}
const batchSize = Number(values['batch-size']);
for (let epochs = 1; epochs <= Number(values['max-epochs']); epochs *= 2) {
  const before = load();
  const started = performance.now();
  const model = new NMF({ ...common, solver: 'minibatch', batchSize, maxIter: epochs, tol: 0, maxNoImprovement: null }).fit(V);
  const ms = performance.now() - started;
  console.log(
    `online batchSize ${batchSize}, ${String(epochs).padStart(3)} epochs: ${ms.toFixed(0).padStart(7)} ms, objective ${model.objective.toPrecision(6)} (load ${before})`,
  );
  if (model.objective <= target) break;
}

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
