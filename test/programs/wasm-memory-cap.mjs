// The Node entry's wasm memory cap, on the main thread and in the worker threads (run with NMFKIT_BACKEND=wasm).
// `node test/programs/wasm-memory-cap.mjs [bytes]`: with an argument, the cap is set by ready({ maxMemoryBytes })
// before anything loads the backend (else NMFKIT_WASM_MAX_MEMORY sets it). Reports a fit over the cap sync and async,
// one under it, the cap backendInfo() reports, and what a later ready() with another cap says.
import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';

const message = (e) => `${e.constructor.name}: ${e.message}`;
const cap = process.argv[2] === undefined ? undefined : Number(process.argv[2]);
if (cap !== undefined) await ready({ maxMemoryBytes: cap });
const V = { rows: 600, cols: 500, data: new Float64Array(600 * 500).fill(1) }; // V alone: 2.4 MB
const outcome = (f) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return message(e);
  }
};
const sync = outcome(() => nmfSync(V, { rank: 2, maxIter: 1, seed: 1 }));
const async = await nmf(V, { rank: 2, maxIter: 1, seed: 1 }).then(() => 'ok', message);
const small = nmfSync({ rows: 300, cols: 300, data: new Float64Array(90000).fill(1) }, { rank: 2, maxIter: 1, seed: 1 }).backend;
const later = await ready({ maxMemoryBytes: 2 ** 30 }).then(() => 'resolved', message);
const same = await ready({ maxMemoryBytes: backendInfo().wasm.maxMemoryBytes }).then(() => 'resolved', message);
console.log(JSON.stringify({ sync, async, small, cap: backendInfo().wasm.maxMemoryBytes, later, same }));
