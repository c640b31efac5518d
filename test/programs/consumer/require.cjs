// A consumer project's CommonJS script: `node require.cjs <fixture.json>` loads nmfkit with require() (Node's
// require(esm)), replays the fixture, and reports backendInfo(), the exported names and the file it resolved to.
'use strict';
const nmfkit = require('nmfkit');
const { check, fixtureOptions, loadFixture } = require('./fixture-check.cjs');

const f = loadFixture(process.argv[2]);
const sync = check(f, nmfkit.nmfSync(f.input.V, fixtureOptions(f)));
console.log(JSON.stringify({ info: nmfkit.backendInfo(), sync, keys: Object.keys(nmfkit).sort(), resolved: require.resolve('nmfkit') }));
