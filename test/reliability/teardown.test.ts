/**
 * An async fit whose environment is torn down while it runs: a worker thread terminated or calling
 * process.exit(), the main thread calling process.exit() or dying of an uncaught exception. The process must
 * survive (no abort from native code throwing into a dying environment) and the teardown must not wait for the
 * fit: test/programs/teardown-during-fit.mjs runs a fit of minutes and tears it down 300 ms in.
 *
 * The bound is generous (the machine is shared): 15 s, where waiting for the fit's request took 37 s on a
 * 1025×2000 rank-32 fit and ended in `terminate called after throwing an instance of 'Napi::Error'` (exit 134).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

const PROGRAM = fileURLToPath(new URL('../programs/teardown-during-fit.mjs', import.meta.url));
const MODES = ['terminate', 'exit-worker', 'exit-main', 'throw-main'] as const;

describe.each(BACKENDS)('%s: tearing down a running async fit', (backend) => {
  it.runIf(backendAvailable(backend)).each(MODES)('%s: survives, promptly', (mode) => {
    const started = performance.now();
    const run = spawnSync(process.execPath, [PROGRAM, mode, backend], { encoding: 'utf8', timeout: 120_000 });
    const seconds = (performance.now() - started) / 1000;
    expect(run.signal, run.stderr).toBeNull();
    expect(run.stdout).toContain('torn down');
    expect(run.stderr).not.toMatch(/terminate called|Napi::Error|Aborted/);
    expect(run.status, run.stderr).toBe(mode === 'throw-main' ? 1 : 0);
    if (mode === 'throw-main') expect(run.stderr).toMatch(/uncaught, on purpose/);
    expect(seconds).toBeLessThan(15);
  });
});
