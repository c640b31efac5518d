/**
 * The WebAssembly-only entry's platform (src/browser.ts: browsers, Web Workers, Cloudflare workerd, Vercel Edge,
 * Deno, and Node without addons): no native backend, the wasm module fetched (or given to `ready()`) and
 * instantiated asynchronously, async fits in module Web Workers where `Worker` exists, else on the calling thread.
 * Imports no Node built-ins anywhere in its module graph (test/browser checks the built files); the environment
 * is `process.env` where the runtime has one. The policy over all this is ./policy.ts.
 */
import { createWebWorkerPool, fetchTeamModule, webWorkersAvailable } from '../backends/wasm-web.js';
import { compileCapped } from './wasm-file.js';
import type { ReadyOptions, WasmOnlyBackendInfo, WasmThreadSettings } from '../types.js';
import { processEnv } from './environment.js';
import type { BackendLoad, Platform } from './platform.js';
import { EntryPolicy } from './policy.js';

/**
 * The cap on each wasm instance's linear memory in an edge isolate (Cloudflare Workers, Vercel Edge: 128 MB each):
 * 32 MiB, so that the largest fit it admits still fits the isolate. There fits run inline, and an async fit holds V
 * three times at its peak — the caller's V, nmfkit's float64 copy taken when the call returns, and V inside the wasm
 * arena, which is almost all of the capped memory (8·K·N bytes of 8·K·N + O((K + N)·R)): at most 3 × 33.5 MB ≈
 * 101 MB, leaving the rest for the runtime.
 */
export const EDGE_MAX_MEMORY_BYTES = 32 * 2 ** 20;

/**
 * The default cap of this runtime. Memory grows only as far as fits need it; the cap is where a fit is refused (a
 * RangeError before anything is allocated) instead of attempted. Edge isolates: {@link EDGE_MAX_MEMORY_BYTES}.
 * Elsewhere (browsers, Deno, Bun, Node without addons): a quarter of the device's memory where the runtime tells it
 * (`navigator.deviceMemory`, in GiB; Chromium), between 256 MiB and 2 GiB, else 1 GiB — enough for a 1025×16000
 * spectrogram (about 6 minutes of audio).
 */
export function defaultMaxMemoryBytes(scope: {
  navigator?: { userAgent?: unknown; deviceMemory?: unknown };
  EdgeRuntime?: unknown;
}): number {
  if (scope.navigator?.userAgent === 'Cloudflare-Workers' || typeof scope.EdgeRuntime === 'string') return EDGE_MAX_MEMORY_BYTES;
  const gib = scope.navigator?.deviceMemory;
  if (typeof gib === 'number' && gib > 0) return Math.min(2 ** 31, Math.max(2 ** 28, Math.floor((gib * 2 ** 30) / 4)));
  return 2 ** 30;
}

/** The default cap on each wasm instance's memory in this runtime (see defaultMaxMemoryBytes). */
export const DEFAULT_MAX_MEMORY_BYTES = defaultMaxMemoryBytes(globalThis as Parameters<typeof defaultMaxMemoryBytes>[0]);

/** Why this entry has no native backend, and what to do about it, for the runtime it finds itself in. */
function nativeUnavailable(): BackendLoad {
  const proc = (
    globalThis as {
      process?: { versions?: Record<string, string | undefined>; execArgv?: string[] };
    }
  ).process;
  if (proc?.versions?.node && !proc.versions['deno'] && !proc.versions['bun']) {
    const noAddons = proc.execArgv?.includes('--no-addons') || /(^|\s)--no-addons(\s|$)/.test(processEnv('NODE_OPTIONS') ?? '');
    if (noAddons) {
      return {
        ok: false,
        reason: "loading native addons is disabled in this process (--no-addons), so Node.js resolved nmfkit's WebAssembly-only entry",
        fix: 'Node was started with --no-addons; remove it to use native',
      };
    }
    return {
      ok: false,
      reason:
        "Node.js resolved nmfkit's WebAssembly-only entry (without the node-addons export condition: a bundle, or custom --conditions)",
      fix: "import nmfkit from Node.js with its default conditions: 'node-addons' selects the Node entry, which has the native backend",
    };
  }
  return {
    ok: false,
    reason: "native addons cannot run in this runtime, so it uses nmfkit's WebAssembly-only entry",
    fix: 'none needed: the wasm backend computes the same results; the native backend needs Node.js',
  };
}

/** Default fits: the cores the runtime reports (`navigator.hardwareConcurrency`), else 1. */
function cores(): number {
  const n = (globalThis as { navigator?: { hardwareConcurrency?: unknown } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The parts of Node's `process` used to learn its memory without importing anything (Node without addons). */
interface NodeProcess {
  constrainedMemory?(): number;
  getBuiltinModule?(id: string): unknown;
}

/**
 * Node's proxy test where this entry runs on Node (through `process.getBuiltinModule`, so no import ties the entry
 * to Node); undefined elsewhere, where AbortSignal's own brand check refuses proxies.
 */
function proxyTest(): ((value: unknown) => boolean) | undefined {
  try {
    const proc = (globalThis as { process?: NodeProcess }).process;
    const util = proc?.getBuiltinModule?.('node:util') as { types?: { isProxy?(value: unknown): boolean } } | undefined;
    const isProxy = util?.types?.isProxy;
    return typeof isProxy === 'function' ? (value) => isProxy(value) : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's memory where the runtime tells (Node, through `process.getBuiltinModule`); else undefined. */
function machineMemory(): number | undefined {
  try {
    const proc = (globalThis as { process?: NodeProcess }).process;
    const total = (proc?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined)?.totalmem();
    if (total === undefined || !(total > 0)) return undefined;
    const constrained = proc?.constrainedMemory?.() ?? 0;
    return constrained > 0 && constrained < total ? constrained : total;
  } catch {
    return undefined;
  }
}

const isProxy = proxyTest();

const wasmOnlyPlatform: Platform = {
  entry: 'wasm-only',
  ...(isProxy && { isProxy }),
  env: processEnv,
  cores,
  machineMemory,
  loadNative: nativeUnavailable,
  wasm: {
    // Next to the package's files: dist/entry/wasm-only.js → wasm/nmfkit.wasm. Bundlers rewrite this form.
    defaultUrl: () => new URL('../../wasm/nmfkit.wasm', import.meta.url),
    defaultMaxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES,
    defaultCapSetting: 'maxMemoryBytes, set with ready({ maxMemoryBytes })',
    compileSync: () => undefined,
    // A file: URL (Node, Deno) is read with a size cap (./wasm-file.ts); others are fetched.
    compile: compileCapped,
    // Browsers refuse synchronous instantiation of modules over 4 KB on their main thread.
    instantiateSync: false,
    loadFix: ({ module, url }) =>
      module
        ? 'pass a WebAssembly.Module compiled from nmfkit/nmfkit.wasm to ready({ module })'
        : `serve wasm/nmfkit.wasm at ${url.href} (or pass its location as ready({ url }), or a compiled module as ready({ module })), in a runtime with WebAssembly SIMD`,
    workersAvailable: webWorkersAvailable,
    compileTeam: (url) => fetchTeamModule(url, compileCapped),
    createPool: createWebWorkerPool,
  },
};

const policy = new EntryPolicy(wasmOnlyPlatform);

/** What the fit functions (nmf.ts, batch.ts) need of the WebAssembly-only entry. */
export const wasmOnlyRuntime = policy.runtime;

/**
 * Loads the WebAssembly backend: fetches and compiles wasm/nmfkit.wasm (or takes `options.module`) and
 * instantiates it, then resolves — or rejects with the error a fit would get. `nmf()` and `nmfBatch()` call it
 * themselves; `nmfSync()` needs it to have resolved. After a failure (say, the file could not be fetched) a new
 * call tries again. Options apply from the first call on: a later call that gives different ones rejects with a
 * RangeError.
 */
export function ready(options?: ReadyOptions): Promise<void> {
  return policy.ready(options);
}

/** Which backend runs fits here (always wasm), whether it has loaded, and how async fits run. */
export function backendInfo(): WasmOnlyBackendInfo {
  return policy.wasmOnlyInfo();
}

/**
 * Sets how many fits run at once in Web Workers (a number, or `{ fits }`); running fits keep going, waiting ones
 * start as slots free up. Inline fits (no Worker, or `ready({ workers: false })`) run one at a time regardless.
 */
export function setThreads(settings: number | { readonly fits?: number }): WasmThreadSettings {
  return policy.setWasmOnlyThreads(settings);
}
