// The prebuilt addon of this process's platform, checked where vitest cannot run: under qemu-user for
// prebuilds/linux-arm64 (.ci/run, docs/backends.md), and by test/packaging/prebuild-check.test.ts for linux-x64.
// Run from the repository root with PREBUILDS_ONLY=1 (node-gyp-build then skips build/Release, as in an installed
// package) after `npm run build`. It fails unless the native backend loaded from prebuilds/<platform>-<arch>/,
// every libfmp fixture (test/fixtures/libfmp-mu) comes out to 1e-9 on both backends, and native at 1 and 2
// threads agrees with wasm to 1e-9 on every loss and solver. Prints one line a check, then "N passed, N failed".
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { backendInfo, nmf, nmfSync } from '../../dist/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtureDir = fileURLToPath(new URL('../fixtures/libfmp-mu/', import.meta.url));
let passed = 0;
let failed = 0;

function report(name, ok, detail = '') {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` (${detail})` : ''}`);
}

/** ‖got − want‖₂ / ‖want‖₂, or ‖got − want‖₂ where want is all zeros. */
function relative(got, want) {
  if (got.length !== want.length) return Infinity;
  let d = 0;
  let n = 0;
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2;
    n += want[i] ** 2;
  }
  return n === 0 ? Math.sqrt(d) : Math.sqrt(d / n);
}

function close(got, want) {
  const e = relative(got, want);
  return { ok: e <= 1e-9, e };
}

/** Deterministic nonnegative test data (a 32-bit LCG; the values matter less than being the same everywhere). */
function matrix(rows, cols, seed) {
  let s = seed >>> 0;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = s / 2 ** 32;
  }
  return { rows, cols, data };
}

const prebuildDir = `prebuilds/${process.platform}-${process.arch}/`;
let addonPath;
try {
  addonPath = createRequire(import.meta.url)('node-gyp-build').resolve(root);
} catch (e) {
  addonPath = e.message.split('\n')[0];
}
report(`node-gyp-build picks ${prebuildDir}`, addonPath.startsWith(root + prebuildDir), addonPath);

const info = backendInfo();
report('the native backend loaded', info.native.loaded, info.native.reason ?? info.native.blas?.config);
const coretype = process.env.OPENBLAS_CORETYPE;
if (coretype && info.native.loaded) {
  const config = info.native.blas.config;
  report(`OpenBLAS runs the ${coretype} kernels`, config.toLowerCase().includes(` ${coretype.toLowerCase()} `), config);
}
report('the wasm backend loaded', info.wasm.loaded, info.wasm.reason ?? '');

if (info.native.loaded && info.wasm.loaded) {
  const fixtures = readdirSync(fixtureDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(fixtureDir + f, 'utf8')));
  report('all twelve libfmp fixtures are there', fixtures.length >= 12, `${fixtures.length}`);
  for (const f of fixtures) {
    const options = {
      rank: f.input.rank,
      maxIter: f.input.maxIter,
      tol: f.input.thresh,
      W: f.input.W0,
      H: f.input.H0,
      normalize: f.input.norm ? 'max' : 'none',
    };
    const runs = [
      ['native', nmfSync(f.input.V, { ...options, backend: 'native' })],
      ['native async', await nmf(f.input.V, { ...options, backend: 'native' })],
      ['wasm', nmfSync(f.input.V, { ...options, backend: 'wasm' })],
    ];
    for (const [label, r] of runs) {
      const W = close(r.W.data, f.expected.W.data);
      const H = close(r.H.data, f.expected.H.data);
      const ok = W.ok && H.ok && r.iterations === f.expected.iterations && r.backend === label.split(' ')[0];
      report(`fixture ${f.name} on ${label}`, ok, `W ${W.e.toExponential(1)}, H ${H.e.toExponential(1)}, ${r.iterations} iterations`);
    }
  }

  // Past the fixtures: every loss and solver, native (1 and 2 threads) against wasm, on a problem large enough
  // for the BLAS products and the team's split to take their real paths.
  const K = 96;
  const N = 80;
  const rank = 6;
  const V = matrix(K, N, 1);
  const base = { rank, W: matrix(K, rank, 2), H: matrix(rank, N, 3), maxIter: 30, tol: 0 };
  const mask = Float64Array.from(matrix(K, N, 4).data, (u) => (u < 0.2 ? 0 : 1));
  const cases = [
    ['euclidean', {}],
    ['euclidean with a mask', { mask: { rows: K, cols: N, data: mask } }],
    ['kl', { loss: 'kl' }],
    ['is', { loss: 'is' }],
    ['β = 1.5, l1 and l2', { loss: 1.5, l1W: 0.05, l2H: 0.1 }],
    ['hals', { solver: 'hals' }],
  ];
  for (const [name, extra] of cases) {
    const wasm = nmfSync(V, { ...base, ...extra, backend: 'wasm' });
    for (const threads of [1, 2]) {
      const native = nmfSync(V, { ...base, ...extra, backend: 'native', threads });
      const W = close(native.W.data, wasm.W.data);
      const H = close(native.H.data, wasm.H.data);
      report(`${name}: native at ${threads} thread(s) ≡ wasm`, W.ok && H.ok, `W ${W.e.toExponential(1)}, H ${H.e.toExponential(1)}`);
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
