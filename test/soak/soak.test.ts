/**
 * Soak (npm run test:soak, in CI; not part of npm test): test/programs/soak.mjs runs about 100 s of mixed load —
 * nmfSync, nmf and nmfBatch on both backends, random aborts and time budgets, fits that overflow, and a Worker
 * thread importing nmfkit that is terminated mid-fit every 1–2 s — in a process of its own, then reports. Asserted:
 * every promise it created settled with an outcome its kind allows (it counts them), `activeFits()` is back to
 * zero on both backends, the process's active resources are no more than at the baseline, resident memory after
 * GC is flat over the last half (the smaller of the last two quarters' growths < 16 MiB, the last half < 48 MiB;
 * measured ~0.5–3 MiB on the 2-core development machine), and the process exits by itself within 5 s of its
 * report (a handle left open would keep it alive).
 *
 * NMFKIT_SOAK_SECONDS sets the load's duration (default 100), NMFKIT_SOAK_SEED its random choices (printed).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROGRAM = fileURLToPath(new URL('../programs/soak.mjs', import.meta.url));
const SECONDS = Number(process.env.NMFKIT_SOAK_SECONDS ?? 100);

interface Summary {
  ok: boolean;
  seed: number;
  seconds: number;
  backends: string[];
  promises: { created: number; settled: number; pending: number };
  workers: number;
  outcomes: Record<string, number>;
  rssMiB: { quartersMiB: number[]; lastHalfMiB: number; wholeMiB: number };
  activeFits: { native: number; wasm: number };
  failures: string[];
}

describe('soak', () => {
  it(`${SECONDS} s of mixed fits, aborts, time budgets and worker teardowns leave nothing behind`, async () => {
    expect(existsSync(`${ROOT}dist/index.js`), 'dist/ is missing: run `npm run build` first').toBe(true);
    const child = spawn(process.execPath, [PROGRAM], { cwd: ROOT, env: { ...process.env, NMFKIT_SOAK_SECONDS: String(SECONDS) } });
    let stdout = '';
    let stderr = '';
    let reportedAt = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!reportedAt && /^soak: /m.test(stdout)) reportedAt = performance.now();
    });
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 180) * 1000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    const exitedAt = performance.now();
    clearTimeout(killer);

    const line = /^soak: (.*)$/m.exec(stdout);
    expect(line, `no report; stderr: ${stderr}`).not.toBeNull();
    const summary = JSON.parse(line![1]!) as Summary;
    console.log(
      `soak (seed ${summary.seed}, ${summary.seconds.toFixed(0)} s): ${summary.promises.created} promises, ${summary.workers} worker teardowns, ` +
        `RSS growth by quarter ${summary.rssMiB.quartersMiB.map((m) => m.toFixed(1)).join(', ')} MiB (last half ${summary.rssMiB.lastHalfMiB.toFixed(1)}), ` +
        `exit ${((exitedAt - reportedAt) / 1000).toFixed(2)} s after the report; ${JSON.stringify(summary.outcomes)}`,
    );

    expect(summary.failures).toEqual([]);
    expect(summary.ok).toBe(true);
    expect(summary.backends).toEqual(['native', 'wasm']);
    expect(summary.promises.pending).toBe(0);
    expect(summary.promises.settled).toBe(summary.promises.created);
    // The load really ran: thousands of promises, a teardown every 1–2 s, every kind of work.
    expect(summary.promises.created).toBeGreaterThan(SECONDS * 20);
    expect(summary.workers).toBeGreaterThan(SECONDS / 3);
    for (const kind of [
      'nmf:plain:result',
      'nmf:abort-running:abort',
      'nmf:maxTime:result',
      'batch:abort:abort',
      'batch:overflow:RangeError',
    ]) {
      expect(summary.outcomes[kind], kind).toBeGreaterThan(0);
    }
    expect(summary.outcomes['worker:native:result']! + summary.outcomes['worker:wasm:result']!).toBe(summary.workers);
    expect(summary.activeFits).toEqual({ native: 0, wasm: 0 });
    expect(signal).toBeNull();
    expect(code, stderr).toBe(0);
    expect(stderr).not.toMatch(/terminate called|Napi::Error|Aborted|Error/);
    expect((exitedAt - reportedAt) / 1000).toBeLessThan(5);
  });
});
