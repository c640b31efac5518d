// One thread of the throughput line's reference row: `nmfSync` over its share of the matrices, on a worker thread
// of its own, so that every core runs independent fits with no scheduling between them (bench/lib/throughput.mjs).
// It warms up, says it is ready, and on the word go runs its share once and reports the time.
import { parentPort, workerData } from 'node:worker_threads';

const { index, matrices, warm, options } = workerData;
const api = await import(index);
for (const V of matrices.slice(0, warm)) api.nmfSync(V, options);
parentPort.once('message', () => {
  const t0 = performance.now();
  let bad = -1;
  matrices.forEach((V, i) => {
    if (api.nmfSync(V, options).iterations !== options.maxIter) bad = i;
  });
  parentPort.postMessage({ seconds: (performance.now() - t0) / 1000, bad });
});
parentPort.postMessage('ready');
