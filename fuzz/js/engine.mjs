/**
 * The JavaScript fuzzer's loop, in a process of its own that fuzz/js/run.mjs starts and watches (a reader that
 * hangs or crashes takes this process with it; run.mjs then keeps the input). argv[2]: the run's settings as JSON
 * (run.mjs, `settings`).
 *
 * Coverage-guided: V8's precise block coverage (the inspector's Profiler.takePreciseCoverage, with call counts)
 * of the readers and the parsers they use (nmfkit-audio's dist/, csv-parse, npyjs, wavefile) is taken after every
 * input; an input that reaches a block not reached before, or reaches one a new number of times (AFL's buckets
 * 1, 2, 3, 4–7, 8–15, 16–31, 32–127, 128+), joins the corpus and is mutated further. Inputs come from fast-check:
 * most are a corpus entry under 1–6 stacked mutations (bit flips, bytes, interesting integers, dictionary tokens,
 * deletions, copies, splices with another entry, truncations, random runs), the rest are generated whole by the
 * target's arbitrary of well-formed files (targets.mjs). fast-check makes a run reproducible from its seed and
 * shrinks a failing input's mutations to a minimal one (the corpus is frozen from the first failure on).
 *
 * Why not Jazzer.js: @jazzer.js/core 4.0.0 (the current release) installs, but its prebuilt libFuzzer addon needs
 * glibc 2.38 (this Debian 12 has 2.36) and its package carries no sources to build from; 2.x downloads its addon
 * from GitHub at install time, which this network refuses.
 *
 * Each input is written to <work>/current<ext> and read from there by the real reader. After each, the resident
 * memory's peak during the read (VmHWM, reset before it through /proc/self/clear_refs) must not have grown by more
 * than 256 MiB + 256 bytes per byte of input.
 */
import { createHash } from 'node:crypto';
import { Session } from 'node:inspector';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { TARGETS } from './targets.mjs';

const settings = JSON.parse(process.argv[2]);
const target = TARGETS[settings.target];
const current = join(settings.work, `current${target.ext}`);
const started = performance.now();
const deadline = started + settings.seconds * 1000;

// ---------------------------------------------------------------------------------------------------------------
// Coverage.

const session = new Session();
session.connect();
/** The inspector answers a session of the same thread synchronously. */
function post(method, params) {
  let answer;
  let failure;
  session.post(method, params, (error, result) => {
    failure = error;
    answer = result;
  });
  if (failure) throw failure;
  return answer;
}
post('Profiler.enable');
post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });

const COVERED = /\/nmfkit-audio\/dist\/|\/node_modules\/(csv-parse|npyjs|wavefile)\//;
const seen = new Set();

function bucket(count) {
  if (count < 4) return count;
  if (count < 8) return 4;
  if (count < 16) return 5;
  if (count < 32) return 6;
  if (count < 128) return 7;
  return 8;
}

/** The blocks (and hit-count buckets) the last input reached that no input reached before. */
function newFeatures() {
  let fresh = 0;
  for (const script of post('Profiler.takePreciseCoverage').result) {
    if (!COVERED.test(script.url)) continue;
    for (const fn of script.functions) {
      for (const range of fn.ranges) {
        if (range.count === 0) continue;
        const key = `${script.url}:${range.startOffset}:${range.endOffset}:${bucket(range.count)}`;
        if (!seen.has(key)) {
          seen.add(key);
          fresh++;
        }
      }
    }
  }
  return fresh;
}

// ---------------------------------------------------------------------------------------------------------------
// Memory: the peak of resident memory during one read.

let peakTracking = true;
function statusKiB(field) {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) : 0;
}
function resetPeak() {
  if (!peakTracking) return 0;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    peakTracking = false; // not Linux, or not allowed: the parent's RSS watch remains
    return 0;
  }
  return statusKiB('VmRSS');
}

// ---------------------------------------------------------------------------------------------------------------
// Executing one input.

let execs = 0;
const corpus = [];

/** Reads `bytes` through the target's reader; what is wrong, or undefined. */
async function execute(bytes) {
  writeFileSync(current, bytes);
  const before = resetPeak();
  const problem = await target.check(current, bytes);
  execs++;
  if (problem) return problem;
  if (peakTracking) {
    const growthKiB = statusKiB('VmHWM') - before;
    const boundKiB = 256 * 1024 + (256 * bytes.length) / 1024;
    if (growthKiB > boundKiB) return `resident memory grew by ${Math.round(growthKiB / 1024)} MiB while reading ${bytes.length} bytes`;
  }
  return undefined;
}

const hash = (bytes) => createHash('sha1').update(bytes).digest('hex').slice(0, 16);

function saveFinding(kind, bytes, problem) {
  mkdirSync(settings.findings, { recursive: true });
  const file = join(settings.findings, `${settings.target}-${kind}-${hash(bytes)}${target.ext}`);
  writeFileSync(file, bytes);
  console.error(`fuzz ${settings.target}: ${kind}: ${problem}\n  input: ${file}`);
  return file;
}

// ---------------------------------------------------------------------------------------------------------------
// Replay: every given file once (the regression corpus, a finding); a failure of any exits 3.

function corpusFiles(paths) {
  const files = [];
  for (const path of paths) {
    if (statSync(path).isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!name.startsWith('.')) files.push(join(path, name));
    } else files.push(path);
  }
  return files;
}

if (settings.replay) {
  let failed = 0;
  const files = corpusFiles(settings.replay);
  for (const file of files) {
    const problem = await execute(new Uint8Array(readFileSync(file)));
    if (problem) {
      failed++;
      console.error(`FAIL ${file}: ${problem}`);
    }
  }
  console.log(`fuzz ${settings.target}: replayed ${files.length} inputs, ${failed} failed`);
  process.exit(failed ? 3 : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Fuzzing.

let added = 0;
// After the first failure the corpus stays as it is, so that fast-check's shrinking replays the same inputs.
let frozen = false;
let smallest;

// Progress for run.mjs (its hang watch looks at the current input's file instead: this stops with the loop).
const heartbeat = setInterval(() => process.send?.({ type: 'beat', execs, corpus: corpus.length, features: seen.size }), 1000);

// The seed corpus first: each of its inputs must pass (it holds the regressions of earlier findings).
for (const file of corpusFiles(settings.corpus)) {
  const bytes = new Uint8Array(readFileSync(file));
  const problem = await execute(bytes);
  if (problem) {
    saveFinding('seed', bytes, `${problem} (corpus file ${file})`);
    process.exit(3);
  }
  newFeatures();
  corpus.push(bytes);
}
if (corpus.length === 0) corpus.push(new Uint8Array(0));
const seeds = corpus.length;

const encode = (text) => (target.text ? new TextEncoder().encode(text) : Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff));
const TOKENS = target.dictionary.map(encode);
const INTERESTING = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 44, 63, 64, 127, 128, 255, 256, 1024, 4096, 44100, 0x7fff, 0x8000];
INTERESTING.push(0xfffe, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff);

const at = fc.nat();
const step = fc.oneof(
  fc.record({ op: fc.constant('flip'), at, bit: fc.nat(7) }),
  fc.record({ op: fc.constant('byte'), at, value: fc.nat(255) }),
  fc.record({ op: fc.constant('int'), at, value: fc.constantFrom(...INTERESTING), width: fc.constantFrom(1, 2, 4), little: fc.boolean() }),
  fc.record({ op: fc.constant('token'), at, token: fc.nat(TOKENS.length - 1), replace: fc.boolean() }),
  fc.record({ op: fc.constant('delete'), at, length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ op: fc.constant('copy'), at, length: fc.integer({ min: 1, max: 64 }), to: fc.nat() }),
  fc.record({ op: fc.constant('splice'), at, other: fc.nat(), from: fc.nat() }),
  fc.record({ op: fc.constant('truncate'), at }),
  fc.record({ op: fc.constant('random'), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
);

/** `base` under `steps`; positions are taken modulo the length they index. */
function mutate(base, steps) {
  let b = Array.from(base);
  const pos = (n) => n % (b.length + 1);
  for (const s of steps) {
    switch (s.op) {
      case 'flip':
        if (b.length) b[s.at % b.length] ^= 1 << s.bit;
        break;
      case 'byte':
        if (b.length) b[s.at % b.length] = s.value;
        break;
      case 'int': {
        const bytes = [];
        for (let i = 0; i < s.width; i++) bytes.push((s.value >>> (8 * i)) & 0xff);
        if (!s.little) bytes.reverse();
        const i = pos(s.at);
        b.splice(i, Math.min(s.width, b.length - i), ...bytes);
        break;
      }
      case 'token': {
        const token = Array.from(TOKENS[s.token]);
        const i = pos(s.at);
        b.splice(i, s.replace ? Math.min(token.length, b.length - i) : 0, ...token);
        break;
      }
      case 'delete':
        b.splice(pos(s.at), s.length);
        break;
      case 'copy': {
        const i = pos(s.at);
        b.splice(pos(s.to), 0, ...b.slice(i, i + s.length));
        break;
      }
      case 'splice': {
        const other = corpus[s.other % corpus.length];
        b = b.slice(0, pos(s.at)).concat(Array.from(other.subarray(s.from % (other.length + 1))));
        break;
      }
      case 'truncate':
        b.length = pos(s.at);
        break;
      case 'random':
        b.splice(pos(s.at), 0, ...s.bytes);
        break;
    }
    if (b.length > settings.maxLength) b.length = settings.maxLength;
  }
  return Uint8Array.from(b);
}

const input = fc.oneof(
  { weight: 5, arbitrary: fc.record({ base: fc.nat(), steps: fc.array(step, { minLength: 1, maxLength: 6 }) }) },
  { weight: 1, arbitrary: target.generate.map((bytes) => ({ bytes })) },
);

const property = fc.asyncProperty(input, async (recipe) => {
  // Past the deadline (while shrinking a failure) every input passes, which ends the run at once.
  if (performance.now() > deadline + settings.shrinkSeconds * 1000) return;
  const bytes = recipe.bytes ?? mutate(corpus[recipe.base % corpus.length], recipe.steps);
  const problem = await execute(bytes);
  if (problem) {
    if (!frozen) {
      frozen = true;
      saveFinding('failure', bytes, problem);
    }
    if (!smallest || bytes.length < smallest.bytes.length) smallest = { bytes, problem };
    throw new Error(problem);
  }
  if (newFeatures() > 0 && !frozen) {
    corpus.push(bytes);
    added++;
    if (settings.newCorpus) {
      mkdirSync(settings.newCorpus, { recursive: true });
      writeFileSync(join(settings.newCorpus, hash(bytes)), bytes);
    }
  }
});

let failed = false;
try {
  await fc.assert(property, {
    seed: settings.seed,
    numRuns: Number.MAX_SAFE_INTEGER,
    interruptAfterTimeLimit: Math.max(1, deadline - performance.now()),
    markInterruptAsFailure: false,
  });
} catch (error) {
  failed = true;
  const firstLine = String(error.message).split('\n').slice(0, 2).join(' ');
  console.error(`fuzz ${settings.target}: fast-check: ${firstLine}`);
}
clearInterval(heartbeat);
if (smallest) saveFinding('minimal', smallest.bytes, smallest.problem);

const seconds = (performance.now() - started) / 1000;
const summary = { target: settings.target, seed: settings.seed, seconds, execs, seeds, added, blocks: seen.size };
process.send?.({ type: 'done', ...summary });
console.log(
  `fuzz ${settings.target}: ${execs} inputs in ${seconds.toFixed(1)} s (${Math.round(execs / seconds)}/s), seed ${settings.seed}; corpus ${seeds} + ${added} new, ${seen.size} coverage features; ${failed ? 'FAILED' : 'no findings'}`,
);
process.exit(failed ? 3 : 0);
