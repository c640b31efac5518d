// Run with `node --no-addons test/programs/fallback-warning.mjs`: the Node entry itself (dist/index.js), which
// cannot load its addon. Reports the warnings the process got: after a fit that chose wasm itself, then two fits
// on the backend nmfkit chose (sync and async).
import { nmf, nmfSync } from '../../dist/index.js';

const warnings = [];
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
const V = [
  [1, 2],
  [3, 4],
];
const after = async (what) => {
  await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  return { what, warnings: warnings.length };
};
const steps = [];
nmfSync(V, { rank: 1, maxIter: 3, backend: 'wasm' });
steps.push(await after('explicit wasm'));
nmfSync(V, { rank: 1, maxIter: 3 });
steps.push(await after('auto, sync'));
await nmf(V, { rank: 1, maxIter: 3 });
steps.push(await after('auto, async'));
console.log(JSON.stringify({ steps, warnings }));
