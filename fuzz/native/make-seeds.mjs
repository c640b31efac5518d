// Writes the seed corpora of the native fuzz targets (fuzz/corpus/spec, fuzz/corpus/fit): specifications that the
// facade really produces (defaultSpec and encodeSpec of dist/spec.js, so a new field of src/spec.ts is in them),
// one per solver × dtype × mask × fused sweep × HALS sweeps × stop rule × normalisation that matters, with small
// arrays, in the byte form that slots.h and fit_fuzzer.cc decode. Run after `npm run build`:
//   node fuzz/native/make-seeds.mjs
// It replaces the files it writes (seed-*), leaving the fuzzers' own findings in the corpus alone.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defaultSpec, encodeSpec } from '../../dist/spec.js';

const corpus = fileURLToPath(new URL('../corpus/', import.meta.url));

// slots.h's edge values, by index (selector (i << 2) | 1).
const EDGES = [0, 1, 2, 3, -1, -0, 0.5, 1.5, NaN, Infinity, -Infinity, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53 - 1];
EDGES.push(2 ** 53, 2 ** 53 + 2, 2 ** 63, 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1022, 2 ** -23, 1e-3);
EDGES.push(1e-300, 1e300, 257, 4097);

/**
 * The bytes FuzzedDataProvider hands out, in the order the harness consumes them. ConsumeIntegral takes its bytes
 * from the end of the input, most significant first, so the file is this stream reversed.
 */
class Stream {
  bytes = [];
  u8(x) {
    this.bytes.push(x & 0xff);
  }
  u16(x) {
    this.u8(x >> 8);
    this.u8(x);
  }
  slot(x) {
    const edge = EDGES.findIndex((e) => Object.is(e, x));
    if (Number.isInteger(x) && x >= 0 && x < 64 && !Object.is(x, -0)) this.u8(x << 2);
    else if (edge >= 0) this.u8((edge << 2) | 1);
    else if (Number.isInteger(x) && x >= 0 && x < 65536) {
      this.u8(2);
      this.u16(x);
    } else {
      this.u8(3);
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, x);
      for (let i = 0; i < 8; i++) this.u8(view.getUint8(i)); // big-endian: most significant byte first
    }
  }
  file() {
    return Uint8Array.from(this.bytes).reverse();
  }
}

function specStream(spec) {
  const stream = new Stream();
  for (const x of encodeSpec(spec)) stream.slot(x);
  return stream;
}

/** A fit seed: the spec, then fit_fuzzer.cc's flags, V, W, H, the mask, fixed columns, ops, chunks and steps. */
function fitSeed(spec, { anyValue = false, ops = 0, chunks = [4, 4], fixedEvery = 0 } = {}) {
  const s = specStream(spec);
  const { rows: K, cols: N, rank: R } = spec;
  s.u8(anyValue ? 1 : 0);
  const entries = (count, salt) => {
    for (let i = 0; i < count; i++) s.u8(1 + ((i * 37 + salt * 11) % 120)); // n / 16: 0.06 … 7.5
  };
  entries(K * N, 1);
  entries(K * R, 2);
  entries(R * N, 3);
  if (spec.masked) for (let i = 0; i < K * N; i++) s.u8(i % 5 === 0 ? 0 : 16); // weights 0 and 1
  for (let r = 0; r < R; r++) s.u8(fixedEvery && r % fixedEvery === 0 ? 0 : 1); // byte % 4 == 0: fixed
  s.u8(ops);
  if (ops & 1) {
    s.u8(R - 1); // cols = R
    entries((ops & 2 ? K : N) * R, 4);
  }
  if (ops & 4) {
    entries(K * R, 5);
    entries(R * N, 6);
  }
  s.u8(chunks.length - 1);
  for (const steps of chunks) s.u8(steps - 1);
  return s.file();
}

const seeds = { spec: {}, fit: {} };
const shapes = [
  [6, 5, 2],
  [12, 9, 3],
  [3, 17, 4],
];
for (const [K, N, R] of shapes) {
  for (const dtype of ['float64', 'float32']) {
    const base = { dtype, threads: 1 + (K % 2) };
    const variants = {
      mu: {},
      'mu-fused': { blockRows: 4 },
      'mu-l1l2': { l1W: 0.5, l2W: 0.5, l1H: 0.5, l2H: 0.5, normalize: 'l2' },
      'mu-fixed-w': { updateW: false, stop: 'objective', errorEvery: 2 },
      'mu-fixed-h': { updateH: false, normalize: 'max' },
      kl: { solver: 'mu-beta', beta: 1 },
      'kl-l2': { solver: 'mu-beta', beta: 1, l2H: 0.5, l2W: 0.5 },
      is: { solver: 'mu-beta', beta: 0, normalize: 'l1' },
      'beta-3': { solver: 'mu-beta', beta: 3, stop: 'none' },
      masked: { solver: 'mu-beta', beta: 2, masked: true },
      hals: { solver: 'hals', stop: 'objective' },
      'hals-sweeps': { solver: 'hals', halsSweeps: 4, halsSweepTol: 0.001, l1W: 0.5, l2H: 0.5 },
      'no-spectral': { spectralError: false, tol: 0 },
    };
    for (const [name, changes] of Object.entries(variants)) {
      const spec = defaultSpec(K, N, R, { ...base, ...changes });
      const id = `${name}-${dtype}-${K}x${N}r${R}`;
      seeds.fit[id] = fitSeed(spec, { ops: (K + R) % 2 ? 0x41 : 0x16, fixedEvery: name === 'mu' ? 2 : 0 });
      if (K === 6) seeds.spec[id] = specStream(spec).file();
    }
  }
}
// Specifications the glue refuses, one per kind of refusal.
const refused = {
  'rows-fraction': { rows: 2.5 },
  'rank-zero': { rank: 0 },
  'threads-many': { threads: 300 },
  'rows-huge': { rows: 2 ** 40 },
  'error-every-zero': { errorEvery: 0 },
  'area-huge': { rows: 2 ** 30, cols: 2 ** 30 },
};
for (const [name, changes] of Object.entries(refused))
  seeds.spec[`refused-${name}`] = specStream({ ...defaultSpec(4, 4, 2), ...changes }).file();
seeds.fit['anyvalue-mu'] = fitSeed(defaultSpec(5, 4, 2), { anyValue: true });
seeds.fit['cancel-first'] = fitSeed(defaultSpec(5, 4, 2), { ops: 0x08 });

for (const [target, files] of Object.entries(seeds)) {
  const dir = `${corpus}${target}/`;
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) if (old.startsWith('seed-')) rmSync(dir + old);
  for (const [name, bytes] of Object.entries(files)) writeFileSync(`${dir}seed-${name}`, bytes);
  console.log(`${target}: ${Object.keys(files).length} seeds in ${dir}`);
}
