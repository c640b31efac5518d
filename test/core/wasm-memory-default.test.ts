/** The default cap on wasm memory of the WebAssembly-only entry, by runtime (src/entry/wasm-only.ts). */
import { describe, expect, it } from 'vitest';
import { defaultMaxMemoryBytes, EDGE_MAX_MEMORY_BYTES } from '../../src/entry/wasm-only.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

describe('the WebAssembly-only entry’s default memory cap', () => {
  it('edge isolates: 32 MiB (Cloudflare Workers by its user agent, Vercel Edge by its EdgeRuntime global)', () => {
    expect(EDGE_MAX_MEMORY_BYTES).toBe(32 * MiB);
    expect(defaultMaxMemoryBytes({ navigator: { userAgent: 'Cloudflare-Workers' } })).toBe(32 * MiB);
    expect(defaultMaxMemoryBytes({ EdgeRuntime: 'edge-runtime', navigator: { deviceMemory: 8 } })).toBe(32 * MiB);
  });

  it('elsewhere a quarter of navigator.deviceMemory, within [256 MiB, 2 GiB]; 1 GiB where the runtime does not say', () => {
    expect(defaultMaxMemoryBytes({ navigator: { userAgent: 'Mozilla/5.0', deviceMemory: 8 } })).toBe(2 * GiB);
    expect(defaultMaxMemoryBytes({ navigator: { deviceMemory: 4 } })).toBe(GiB);
    expect(defaultMaxMemoryBytes({ navigator: { deviceMemory: 0.5 } })).toBe(256 * MiB);
    expect(defaultMaxMemoryBytes({ navigator: { deviceMemory: 64 } })).toBe(2 * GiB);
    expect(defaultMaxMemoryBytes({ navigator: { userAgent: 'Node.js/22' } })).toBe(GiB);
    expect(defaultMaxMemoryBytes({})).toBe(GiB);
    expect(defaultMaxMemoryBytes({ navigator: { deviceMemory: 'lots' } })).toBe(GiB);
  });
});
