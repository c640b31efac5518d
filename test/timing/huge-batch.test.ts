/**
 * nmfBatch with 2^21 matrices (references to one 2×2 matrix, under the 2^24 cap) plans each fit when it is about
 * to run: the event loop keeps turning (no gap much over the 50 ms aimed at), the heap grows by far less than one
 * plan per matrix (~3.5 KB each, 7 GiB in all, once a V8 heap-limit crash after 15 s of blocked event loop), and an
 * abort settles the batch promptly. Runs in a child process per entry and backend, so a crash or hang fails only it;
 * with the timing suites (vitest.timing.config.ts), one file at a time, because the event loop's gaps also measure
 * how busy the cores are.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backendAvailable } from '../support/helpers.js';

const PROGRAM = fileURLToPath(new URL('../programs/huge-batch.mjs', import.meta.url));
const NODE_ENTRY = new URL('../../dist/index.js', import.meta.url).href;
const WASM_ONLY_ENTRY = new URL('../../dist/browser.js', import.meta.url).href;
const WASM = new URL('../../wasm/nmfkit.wasm', import.meta.url).href;

const CASES: [string, string[], string][] = [
  ['node entry, native', [NODE_ENTRY, '', 'native'], 'native'],
  ['node entry, wasm', [NODE_ENTRY, '', 'wasm'], 'wasm'],
  ['wasm-only entry', [WASM_ONLY_ENTRY, WASM, 'wasm'], 'wasm'],
];

describe('nmfBatch of 2^21 matrices', () => {
  it.each(CASES)('%s: event loop free, heap bounded, abort settles', (_, args, backend) => {
    if (!backendAvailable(backend as 'native' | 'wasm')) return;
    const text = execFileSync(process.execPath, ['--max-old-space-size=1024', PROGRAM, ...args], { encoding: 'utf8', timeout: 60_000 });
    const seen = JSON.parse(text) as { maxLag: number; heapGrowth: number; result: string; settledAfter: number };
    expect(seen.result).toBe('AbortError');
    // 50 ms aimed at (about 30 ms on a quiet machine); the margin is for a shared 2-core machine's scheduling.
    expect(seen.maxLag).toBeLessThan(100);
    expect(seen.heapGrowth).toBeLessThan(256 * 2 ** 20);
    expect(seen.settledAfter).toBeLessThan(5000);
  });
});
