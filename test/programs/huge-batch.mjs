// nmfBatch with 2^21 references to one 2×2 matrix on the entry given as argv[2] (a file URL): starts it, watches
// the event loop and the heap for a while, aborts it, and prints what it saw as JSON.
import { readFileSync } from 'node:fs';

const [entryUrl, wasmUrl] = process.argv.slice(2);
const entry = await import(entryUrl);
if (wasmUrl) {
  const { compileWasmModule } = await import(new URL('../../dist/backends/wasm.js', import.meta.url).href);
  await entry.ready({ module: compileWasmModule(readFileSync(new URL(wasmUrl))) });
}
const backend = process.argv[4] ?? 'auto';
const V = { rows: 2, cols: 2, data: [1, 2, 3, 4] };
const matrices = new Array(2 ** 21).fill(V);
const heapBefore = process.memoryUsage().heapUsed;
let maxLag = 0;
let last = performance.now();
const watch = setInterval(() => {
  const now = performance.now();
  maxLag = Math.max(maxLag, now - last);
  last = now;
}, 5);
const controller = new AbortController();
const started = performance.now();
const batch = entry.nmfBatch(matrices, { rank: 1, maxIter: 2, seed: 1, backend, signal: controller.signal });
const outcome = batch.then(
  () => 'fulfilled',
  (error) => error.name,
);
await new Promise((resolve) => setTimeout(resolve, 1500));
const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
controller.abort();
const result = await outcome;
clearInterval(watch);
console.log(JSON.stringify({ maxLag, heapGrowth, result, settledAfter: performance.now() - started }));
