/**
 * nmfStream's memory over 2 GiB (npm run test:soak, in CI; not part of npm test): test/programs/stream-memory.mjs
 * streams 2^31 bytes of generated float32 columns (2^29 entries: 2048 chunks of 256×1024, each a fresh array) through
 * the built package's nmfStream at rank 4, once on each backend, in a process of its own. Asserted:
 *
 * - the peak resident memory (the kernel's maxRSS of the whole process) is under 300 MB;
 * - it does not grow with the data. After the warm-up (the first eighth of the chunks), the rest is cut in quarters
 *   and the median of the resident memory after each chunk taken over each: the smallest of the three growths from a
 *   quarter to the next is under 8 MiB (a leak grows every one; a one-time step, as of V8's heap sizing, only one:
 *   one wasm run's second half stood 6.6 MiB above its first), the last quarter's median within 24 MiB of the
 *   first's, and the second half's peak within 32 MiB of the first's (a one-off spike moves a peak, not a median:
 *   one native run's first-half peak stood 13 MiB above its second's). Holding every chunk would add GiBs; holding
 *   each chunk's activations (R×b float64: 32 KiB) adds 14 MiB a quarter, which both median checks catch (measured
 *   with such a leak put in the source, on native: quarter growths 16.9, 16.1 and 9.9 MiB, the last quarter 43 MiB
 *   over the first; the peaks 24 MiB);
 * - the model learned: the source is W*·H* plus noise, and on a chunk it has not seen, the learned dictionary with
 *   the activations its transform finds is within 10 % of the cost of the true factors (the noise floor), where the
 *   mean-column model is tens of times above it; and the stream's last chunks cost a tenth of its first;
 * - both backends learn the same model (the same costs to 1e-9).
 *
 * Each run takes about 20 seconds on the 2-core development machine (PERFORMANCE.md, "Online NMF: memory of a long
 * stream").
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROGRAM = fileURLToPath(new URL('../programs/stream-memory.mjs', import.meta.url));
const BYTES = 2 ** 31;
const MiB = 2 ** 20;

interface Summary {
  backend: string;
  rows: number;
  cols: number;
  chunks: number;
  warmUpChunks: number;
  samples: number;
  bytes: number;
  seconds: number;
  rssMiB: {
    beforeStream: number;
    afterWarmUp: number;
    peakWarmUp: number;
    peakFirstHalf: number;
    peakSecondHalf: number;
    medianQuarters: number[];
    maxRssAtHalf: number;
    maxRss: number;
  };
  cost: { firstChunk: number; lastChunks: number[]; trueFactors: number; meanColumn: number; learned: number };
}

/** Runs the program on `backend` and returns its summary. */
async function stream(backend: string): Promise<Summary> {
  const child = spawn(process.execPath, [PROGRAM, backend, String(BYTES)], { cwd: ROOT });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 570_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(killer);
  expect(signal, stderr).toBeNull();
  expect(code, stderr).toBe(0);
  const line = /^stream-memory: (.*)$/m.exec(stdout);
  expect(line, `no report; stderr: ${stderr}`).not.toBeNull();
  return JSON.parse(line![1]!) as Summary;
}

const AVAILABLE = BACKENDS.filter((backend) => backendAvailable(backend));
const runs = new Map<string, Summary>();

describe('nmfStream over 2 GiB of float32 columns', () => {
  it.each(AVAILABLE)('on %s: resident memory under 300 MB, flat, and a model that fits', async (backend) => {
    expect(existsSync(`${ROOT}dist/index.js`), 'dist/ is missing: run `npm run build` first').toBe(true);
    const summary = await stream(backend);
    runs.set(backend, summary);
    const { rssMiB: rss, cost } = summary;
    console.log(
      `stream-memory on ${backend}: ${(summary.bytes / 2 ** 30).toFixed(2)} GiB in ${summary.chunks} chunks, ${summary.seconds.toFixed(1)} s; ` +
        `RSS MiB: before ${rss.beforeStream.toFixed(1)}, after warm-up ${rss.afterWarmUp.toFixed(1)}, peaks ${rss.peakWarmUp.toFixed(1)} / ` +
        `${rss.peakFirstHalf.toFixed(1)} / ${rss.peakSecondHalf.toFixed(1)}, quarters' medians ` +
        `${rss.medianQuarters.map((m) => m.toFixed(1)).join(' / ')}, maxRSS ${rss.maxRss.toFixed(1)}; cost per sample: ` +
        `first chunk ${cost.firstChunk.toPrecision(4)}, last ${cost.lastChunks.at(-1)!.toPrecision(4)}, learned ${cost.learned.toPrecision(4)}, ` +
        `true factors ${cost.trueFactors.toPrecision(4)}, mean column ${cost.meanColumn.toPrecision(4)}`,
    );

    // The whole stream went through: 2^31 bytes as float32 entries, every column counted.
    expect(summary.bytes).toBeGreaterThanOrEqual(BYTES);
    expect(summary.samples).toBe(summary.chunks * summary.cols);
    expect(summary.samples * summary.rows * 4).toBe(summary.bytes);

    expect(rss.maxRss * MiB).toBeLessThan(300e6);
    expect(Math.max(rss.peakWarmUp, rss.peakFirstHalf, rss.peakSecondHalf)).toBeLessThanOrEqual(rss.maxRss);
    const growths = rss.medianQuarters.slice(1).map((m, q) => m - rss.medianQuarters[q]!);
    expect(Math.min(...growths)).toBeLessThan(8);
    expect(rss.medianQuarters[3]! - rss.medianQuarters[0]!).toBeLessThan(24);
    expect(rss.peakSecondHalf - rss.peakFirstHalf).toBeLessThan(32);

    // The generator's structure stands well above its noise, so fitting within 10 % of the noise floor means learning it.
    expect(cost.meanColumn).toBeGreaterThan(20 * cost.trueFactors);
    expect(cost.learned).toBeLessThan(1.1 * cost.trueFactors);
    for (const last of cost.lastChunks) expect(last).toBeLessThan(cost.firstChunk / 10);
  });

  // Both backends answer the same activation updates to rounding: the same model, the same costs.
  it.runIf(AVAILABLE.length === 2)('both backends learn the same model', () => {
    const [native, wasm] = [runs.get('native'), runs.get('wasm')];
    expect(native && wasm, 'a run above failed').toBeTruthy();
    for (const key of ['firstChunk', 'learned'] as const) {
      expect(Math.abs(native!.cost[key] - wasm!.cost[key]), key).toBeLessThanOrEqual(1e-9 * native!.cost[key]);
    }
    native!.cost.lastChunks.forEach((cost, i) => expect(Math.abs(cost - wasm!.cost.lastChunks[i]!)).toBeLessThanOrEqual(1e-9 * cost));
  });
});
