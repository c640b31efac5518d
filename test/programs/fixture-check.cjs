// The toy fixture fitted in a child process (test/packaging/, and the consumer project of packaging.test.ts, which
// gets a copy of this file): the options that replay it, and how close a result came. CommonJS, so that both the
// ESM programs and consumer/require.cjs can load it. The assertions on what `check` returns are
// test/support/fixture-check.ts's expectFixture.
'use strict';
const { readFileSync } = require('node:fs');

/** The fixture (test/fixtures/libfmp-mu/*.json) at `path`. */
function loadFixture(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The options that replay the fixture's run. */
function fixtureOptions(f) {
  return { rank: f.input.rank, W: f.input.W0, H: f.input.H0, tol: f.input.thresh, maxIter: f.input.maxIter };
}

/** ‖got − want‖₂ / ‖want‖₂. */
function relative(got, want) {
  let d = 0;
  let n = 0;
  Array.from(got).forEach((x, i) => {
    d += (x - want[i]) ** 2;
    n += want[i] ** 2;
  });
  return Math.sqrt(d / n);
}

/** What a test needs to judge the result `r` of replaying `f` (a FitCheck). */
function check(f, r) {
  return {
    backend: r.backend,
    iterations: r.iterations,
    expected: f.expected.iterations,
    relW: relative(r.W.data, f.expected.W.data),
    relH: relative(r.H.data, f.expected.H.data),
  };
}

module.exports = { loadFixture, fixtureOptions, check };
