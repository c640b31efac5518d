// One share of the throughput line's reference rows: `nmfSync` over its share of the matrices, on a worker thread or
// in a process of its own, so that every core runs independent fits with no scheduling between them
// (bench/lib/throughput.mjs). It warms up, says it is ready, and on each word go runs its share once and reports the
// time.
import { parentPort, workerData } from 'node:worker_threads';

// A worker thread has its data and its port; a forked process gets its data as the first message on its channel.
const channel = parentPort ?? { on: (event, f) => process.on(event, f), postMessage: (m) => process.send(m) };
const { index, matrices, warm, warmPasses, options } = workerData ?? (await new Promise((resolve) => process.once('message', resolve)));
const api = await import(index);
for (let pass = 0; pass < warmPasses; pass++) for (const V of matrices.slice(0, warm)) api.nmfSync(V, options);
channel.on('message', () => {
  const t0 = performance.now();
  let bad = -1;
  matrices.forEach((V, i) => {
    if (api.nmfSync(V, options).iterations !== options.maxIter) bad = i;
  });
  channel.postMessage({ seconds: (performance.now() - t0) / 1000, bad });
});
channel.postMessage('ready');
