// Run with `node --no-addons test/programs/wasm-only-entry.mjs <fixture.json>` (test/packaging/load-failure.test.ts):
// Node then resolves the WebAssembly-only entry. Reports what nmfSync says before ready(), backendInfo() before and
// after, the fixture replayed sync and async, and the error of a fit that insists on the native backend.
import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';
import { check, fixtureOptions, loadFixture } from './fixture-check.cjs';

const f = loadFixture(process.argv[2]);
const opts = fixtureOptions(f);
let early;
try {
  nmfSync(f.input.V, opts);
} catch (e) {
  early = e.message;
}
const before = backendInfo();
await ready();
const sync = check(f, nmfSync(f.input.V, opts));
const async = check(f, await nmf(f.input.V, opts));
let insisted;
try {
  nmfSync(f.input.V, { ...opts, backend: 'native' });
} catch (e) {
  insisted = { message: e.message, cause: e.cause };
}
console.log(JSON.stringify({ early, before, info: backendInfo(), sync, async, insisted }));
