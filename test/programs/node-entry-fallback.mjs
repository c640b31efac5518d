// Run with `node --no-addons test/programs/node-entry-fallback.mjs <fixture.json>`: the Node entry itself
// (dist/index.js), which cannot load its addon and falls back to wasm. Reports backendInfo(), the fixture replayed,
// and the error of a fit that insists on the native backend.
import { backendInfo, nmfSync } from '../../dist/index.js';
import { check, fixtureOptions, loadFixture } from './fixture-check.cjs';

const f = loadFixture(process.argv[2]);
const sync = check(f, nmfSync(f.input.V, fixtureOptions(f)));
let insisted;
try {
  nmfSync(f.input.V, { rank: 2, backend: 'native' });
} catch (e) {
  insisted = { message: e.message, cause: e.cause };
}
console.log(JSON.stringify({ info: backendInfo(), sync, insisted }));
