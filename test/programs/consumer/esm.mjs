// A consumer project's ES module. test/packaging/packaging.test.ts copies this folder, and ../fixture-check.cjs
// beside its files, into a project that has the packed nmfkit installed (scripts/test-prebuild-arm64.sh does the
// same for an arm64 Node under qemu-user). `node esm.mjs <fixture.json>` replays the
// fixture sync and async through `import`, and reports backendInfo(), whether nmfkit/nmfkit.wasm resolves to a valid
// module, the file `nmfkit` resolved to, and the codes of the warnings the process got.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';
import { check, fixtureOptions, loadFixture } from './fixture-check.cjs';

const warnings = [];
process.on('warning', (w) => warnings.push(w.code ?? w.name));
const f = loadFixture(process.argv[2]);
const opts = fixtureOptions(f);
await ready();
const require = createRequire(import.meta.url);
const sync = check(f, nmfSync(f.input.V, opts));
const async = check(f, await nmf(f.input.V, opts));
const wasmValid = WebAssembly.validate(readFileSync(require.resolve('nmfkit/nmfkit.wasm')));
await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
console.log(JSON.stringify({ info: backendInfo(), sync, async, wasmValid, resolved: import.meta.resolve('nmfkit'), warnings }));
