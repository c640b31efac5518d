#!/usr/bin/env node
/**
 * nmfkit-audio's bssEvalSources against mir_eval's published regression data (values of the BSS_EVAL MATLAB
 * toolbox), read from a local copy of mir_eval's tests/data/separation folder (refNN/ and estNN/ of 16-bit WAVs,
 * outputNN.json). Nothing of it is in this repository; the test suite checks against the project's own reference
 * (scripts/bss_eval_reference.py), which this data checks in turn (`--mir-eval DIR` there).
 *
 *   npm run build -w nmfkit-audio && node scripts/check-bss-eval-mir-eval.mjs path/to/mir_eval/tests/data/separation
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bssEvalSources, decodeWav } from '../packages/nmfkit-audio/dist/index.js';

const folder = process.argv[2];
if (!folder) throw new Error('usage: node scripts/check-bss-eval-mir-eval.mjs DIR (mir_eval tests/data/separation)');
const KEYS = [
  ['sdr', 'Source to Distortion'],
  ['sir', 'Source to Interference'],
  ['sar', 'Source to Artifact'],
];
let worst = 0;
for (const file of readdirSync(folder)
  .filter((f) => /^output\d+\.json$/.test(f))
  .sort()) {
  const number = file.slice('output'.length, -'.json'.length);
  const stack = (kind) =>
    readdirSync(join(folder, kind + number))
      .sort()
      .map((f) => decodeWav(readFileSync(join(folder, kind + number, f))));
  const refs = stack('ref');
  // Python's json writes an infinite SIR as Infinity, which JSON.parse does not take.
  const text = readFileSync(join(folder, file), 'utf8').replace(/-?Infinity/g, (m) => (m[0] === '-' ? '-1e999' : '1e999'));
  const expected = JSON.parse(text).Sources;
  if (!expected || refs.some((r) => r.channels > 1)) {
    console.log(`output${number}: multichannel (images), not a bss_eval_sources case`);
    continue;
  }
  const t0 = performance.now();
  const got = bssEvalSources(
    refs.map((r) => r.samples),
    stack('est').map((e) => e.samples),
  );
  const ms = performance.now() - t0;
  let deviation = 0;
  for (const [key, name] of KEYS)
    got[key].forEach((v, j) => (deviation = Math.max(deviation, v === expected[name][j] ? 0 : Math.abs(v - expected[name][j]))));
  const same = JSON.stringify(got.permutation) === JSON.stringify(expected['Source permutation']);
  worst = Math.max(worst, deviation);
  console.log(
    `output${number}: ${refs.length} sources × ${refs[0].samples.length} samples, largest deviation ${deviation.toExponential(2)} dB, permutation ${same ? 'same' : 'DIFFERENT'} (${ms.toFixed(0)} ms)`,
  );
}
console.log(`largest deviation over all: ${worst.toExponential(2)} dB`);
if (!(worst < 0.01)) process.exit(1);
