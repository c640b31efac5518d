#!/usr/bin/env node
/**
 * Runs the JavaScript fuzzer on one target of fuzz/js/targets.mjs (csv, json, npy, mtx, wav) for a time budget, in a
 * child process (engine.mjs) that this one watches:
 *   - a hang: no progress for --hang-seconds (default 10; an input normally takes a millisecond) — the child is
 *     killed and the input it was reading kept;
 *   - memory: the child's resident memory above --rss-mib (default 2048) — killed, input kept; the child itself
 *     checks each input's peak (engine.mjs), and its V8 heap is capped (--max-old-space-size=1024);
 *   - a crash: the child dying of a signal or of V8's out-of-memory — input kept;
 *   - a failed oracle (targets.mjs): the child keeps the input and a minimal one fast-check shrank it to.
 * Exits 0 when the budget ran out with no finding, 1 on any finding (the inputs are in the findings directory).
 *
 *   node fuzz/js/run.mjs <target> [--seconds 60] [--seed N] [--findings DIR] [--new-corpus DIR]
 *   node fuzz/js/run.mjs <target> --replay FILE_OR_DIR...    each input once through the oracle
 *
 * The seed corpus is fuzz/corpus/<target>/ (every input of it must pass first); --new-corpus keeps the inputs that
 * found new coverage. Used by scripts/fuzz.sh (npm run fuzz).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const TARGET_NAMES = ['csv', 'json', 'npy', 'mtx', 'wav'];
const EXTENSIONS = { csv: '.csv', json: '.json', npy: '.npy', mtx: '.mtx', wav: '.wav', selftest: '.bin' };
if (process.env.NMFKIT_FUZZ_SELFTEST === '1') TARGET_NAMES.push('selftest'); // targets.mjs

const { values: flags, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    findings: { type: 'string' },
    'new-corpus': { type: 'string' },
    replay: { type: 'boolean', default: false },
    'hang-seconds': { type: 'string', default: '10' },
    'rss-mib': { type: 'string', default: '2048' },
    'max-length': { type: 'string', default: '16384' },
  },
});
const [target, ...paths] = positionals;
if (!TARGET_NAMES.includes(target) || (flags.replay && paths.length === 0) || (!flags.replay && paths.length > 0)) {
  console.error(`usage: run.mjs <${TARGET_NAMES.join('|')}> [--seconds S] [--seed N] [--findings DIR] | --replay FILE_OR_DIR...`);
  process.exit(2);
}

const root = fileURLToPath(new URL('../../', import.meta.url));
if (!existsSync(join(root, 'packages/nmfkit-audio/dist/cli/matrix-io.js'))) {
  console.error('run.mjs: packages/nmfkit-audio/dist is missing: run `npm run build` first');
  process.exit(2);
}
const work = mkdtempSync(join(tmpdir(), `nmfkit-fuzz-${target}-`));
const findings = resolve(flags.findings ?? join(root, 'fuzz/findings'));
const settings = {
  target,
  work,
  seconds: Number(flags.seconds),
  shrinkSeconds: 30,
  seed: flags.seed !== undefined ? Number(flags.seed) : Math.floor(Math.random() * 2 ** 31),
  corpus: [join(root, 'fuzz/corpus', target)],
  newCorpus: flags['new-corpus'] && resolve(flags['new-corpus']),
  findings,
  maxLength: Number(flags['max-length']),
  replay: flags.replay ? paths.map((p) => resolve(p)) : undefined,
};
const hangMs = Number(flags['hang-seconds']) * 1000;
const rssLimitKiB = Number(flags['rss-mib']) * 1024;

const child = spawn(
  process.execPath,
  ['--max-old-space-size=1024', fileURLToPath(new URL('engine.mjs', import.meta.url)), JSON.stringify(settings)],
  {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);

// Progress: the child writes each input to `current` before reading it, so a new modification time is a new
// input; none for --hang-seconds is a hang (and none for STARTUP_MS after the start, a child that never began).
const current = join(work, `current${EXTENSIONS[target]}`);
const STARTUP_MS = 30_000;
let lastStamp;
let lastChange = performance.now();
let killedFor;

function childRssKiB() {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

function currentStamp() {
  try {
    return statSync(current, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
}

const watch = setInterval(() => {
  const stamp = currentStamp();
  if (stamp !== lastStamp) {
    lastStamp = stamp;
    lastChange = performance.now();
  }
  const rss = childRssKiB();
  if (rss > rssLimitKiB) killedFor = `resident memory ${Math.round(rss / 1024)} MiB, above the limit of ${flags['rss-mib']} MiB`;
  else if (performance.now() - lastChange > (lastStamp === undefined ? STARTUP_MS : hangMs)) {
    killedFor = lastStamp === undefined ? 'no input read 30 s after the start' : `no progress for ${flags['hang-seconds']} s: a hang`;
  }
  if (killedFor) {
    clearInterval(watch);
    child.kill('SIGKILL');
  }
}, 200);

const { code, signal } = await new Promise((resolveExit) => child.on('exit', (c, s) => resolveExit({ code: c, signal: s })));
clearInterval(watch);

/** Keeps the input the child was reading when it hung or died. */
function keepCurrent(kind, why) {
  if (!existsSync(current)) {
    console.error(`fuzz ${target}: ${kind}: ${why} (before any input was written)`);
    return;
  }
  mkdirSync(findings, { recursive: true });
  const digest = createHash('sha1').update(readFileSync(current)).digest('hex').slice(0, 16);
  const file = join(findings, `${target}-${kind}-${digest}${EXTENSIONS[target]}`);
  copyFileSync(current, file);
  console.error(`fuzz ${target}: ${kind}: ${why}\n  input: ${file}\n  replay: node fuzz/js/run.mjs ${target} --replay ${file}`);
}

let status = 0;
if (killedFor) {
  keepCurrent(killedFor.includes('hang') ? 'hang' : 'memory', killedFor);
  status = 1;
} else if (signal || (code !== 0 && code !== 3)) {
  keepCurrent('crash', `the fuzzing process died (${signal ?? `exit code ${code}`})`);
  status = 1;
} else if (code === 3) {
  if (!flags.replay) console.error(`fuzz ${target}: finding(s) in ${findings}; replay: node fuzz/js/run.mjs ${target} --replay <file>`);
  status = 1;
}
rmSync(work, { recursive: true, force: true });
process.exit(status);
