/**
 * When the runtime cannot reserve the WebAssembly instance's memory (a process under `ulimit -v`, as in small
 * containers), backendInfo() names that cause and its fix, not a rebuild of the module (which it once suggested).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PROGRAM = fileURLToPath(new URL('../programs/wasm-without-address-space.mjs', import.meta.url));

// Node 24's V8 no longer reserves a guard region of several GiB per WebAssembly memory, so an address-space limit
// that leaves Node running cannot make the instance fail there: the case is reproducible on Node 20 and 22 only.
const RESERVES_GUARD_REGION = Number(process.versions.node.split('.')[0]) < 24;

describe.runIf(process.platform === 'linux' && RESERVES_GUARD_REGION)('wasm memory that cannot be reserved', () => {
  it('backendInfo() says the memory could not be reserved, and how to fix it', () => {
    // 3 GB of address space: enough for Node, not for V8's reservation of a WebAssembly memory.
    const run = spawnSync('bash', ['-c', `ulimit -v 3000000 && exec "${process.execPath}" "${PROGRAM}"`], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const wasm = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { loaded: boolean; reason?: string; fix?: string };
    expect(wasm.loaded).toBe(false);
    expect(wasm.reason).toMatch(/memory/i);
    expect(wasm.fix).toMatch(/could not reserve WebAssembly memory/);
    expect(wasm.fix).not.toMatch(/build:wasm/);
  });
});
