// Run with NMFKIT_BACKEND=wasm: the Node entry computes on wasm, sync and in worker threads. Reports backendInfo()
// and the fixture replayed both ways.
import { backendInfo, nmf, nmfSync, ready } from 'nmfkit';
import { check, fixtureOptions, loadFixture } from './fixture-check.cjs';

const f = loadFixture(process.argv[2]);
const opts = fixtureOptions(f);
await ready();
const sync = check(f, nmfSync(f.input.V, opts));
const async = check(f, await nmf(f.input.V, opts));
console.log(JSON.stringify({ info: backendInfo(), sync, async }));
