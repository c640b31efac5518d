/**
 * The runtime of the WebAssembly-only entry (browser.ts: browsers, Web Workers, Cloudflare workerd, Vercel Edge,
 * Deno, and Node without addons). The wasm backend is its only backend and loads lazily: `ready()` fetches and
 * compiles wasm/nmfkit.wasm (or takes a module the caller compiled) and instantiates it asynchronously. Async
 * fits run in module Web Workers where `Worker` exists, else on the calling thread in slices with yields between
 * them. Imports no Node built-ins anywhere in its module graph (test/browser.test.ts checks the built files).
 */
import { environmentChoice, unavailable } from './backends/choice.js';
import { inlineAsyncFit } from './backends/wasm-inline.js';
import type { WasmPool } from './backends/wasm-pool.js';
import { createWebWorkerPool, fetchWasmModule, webWorkersAvailable } from './backends/wasm-web.js';
import { instantiateWasmBackend } from './backends/wasm.js';
import type { Backend } from './contract.js';
import { Limiter } from './limiter.js';
import type { Runtime } from './runtime.js';
import type { BackendName, BackendUnavailable, WasmLoaded } from './types.js';
import { checkCount, checkKnownKeys, describe } from './validate.js';

/**
 * Default cap on the linear memory of each wasm instance: 32 MiB, so that the largest fit it admits still fits a
 * 128 MB edge isolate (Cloudflare Workers, Vercel Edge). There fits run inline, and the isolate holds V three
 * times at the peak of a fit: the caller's V, nmfkit's validated float64 copy (kept for the fit's life), and V
 * inside the wasm arena, which is almost all of the capped memory (8·K·N bytes of 8·K·N + O((K + N)·R)). With a
 * 32 MiB cap that is at most 3 × 33.5 MB ≈ 101 MB, leaving the rest for the runtime; a 64 MiB cap would admit fits
 * needing ≈ 200 MB. A fit over the cap is refused with a RangeError before anything is allocated; raise the cap
 * with `ready({ maxMemoryBytes })` where there is more memory (a desktop browser tab).
 */
export const DEFAULT_MAX_MEMORY_BYTES = 32 * 2 ** 20;

/** What `ready()` accepts. Every option applies from the first call on; later calls cannot change them. */
export interface ReadyOptions {
  /**
   * A compiled `WebAssembly.Module` of wasm/nmfkit.wasm, for runtimes that forbid compiling bytes (Cloudflare
   * workerd: `import wasm from 'nmfkit/nmfkit.wasm'`) or bundlers that import .wasm files as modules. Nothing is
   * fetched then.
   */
  readonly module?: WebAssembly.Module;
  /**
   * Where to fetch wasm/nmfkit.wasm from, if not from next to the package's files
   * (`new URL('../wasm/nmfkit.wasm', import.meta.url)`, which bundlers that understand that form rewrite).
   */
  readonly url?: string | URL;
  /** Cap on each wasm instance's linear memory, in bytes (1 MiB to 4 GiB). Default {@link DEFAULT_MAX_MEMORY_BYTES}. */
  readonly maxMemoryBytes?: number;
  /**
   * Whether `nmf()` runs fits in module Web Workers (default: where `Worker` exists). `false`: on the calling
   * thread, in slices of about 8 ms with yields to the event loop between them.
   */
  readonly workers?: boolean;
}

/** What `backendInfo()` of the WebAssembly-only entry reports. */
export interface WasmOnlyBackendInfo {
  /** Which entry point of the package is running: the WebAssembly-only one. */
  readonly entry: 'wasm-only';
  /** The backend `backend: 'auto'` uses: always wasm here, unless `NMFKIT_BACKEND=native` asks for the impossible. */
  readonly backend: BackendName;
  /** Where the choice came from: the automatic rule or the `NMFKIT_BACKEND` environment variable (where there is one). */
  readonly chosenBy: 'auto' | 'NMFKIT_BACKEND';
  /** Never loaded here: why, and what to do about it. */
  readonly native: BackendUnavailable;
  /** Before `ready()` has resolved: not loaded, with the reason (not initialised yet, or why loading failed). */
  readonly wasm:
    | (WasmLoaded & {
        /** Where the module came from: `ready({ module })`, or fetched from `url`. */
        readonly source: 'module' | 'url';
        readonly url?: string;
      })
    | BackendUnavailable;
  readonly threads: {
    /** Fits that run at once in Web Workers (`setThreads`; default `navigator.hardwareConcurrency`). */
    readonly fits: number;
    /** How `nmf()` runs: in Web Workers, or on the calling thread with yields ('inline': one fit at a time). */
    readonly mode: 'web-worker' | 'inline';
  };
}

/** The thread setting of the WebAssembly-only entry. */
export interface WasmThreadSettings {
  /** Fits that run at once, each in its own Web Worker (inline fits run one at a time whatever this says). */
  readonly fits: number;
}

interface Settings {
  readonly module: WebAssembly.Module | undefined;
  readonly url: URL;
  readonly maxMemoryBytes: number;
  readonly workers: boolean;
}

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading'; readonly settings: Settings; readonly promise: Promise<void> }
  | { readonly kind: 'ready'; readonly settings: Settings; readonly backend: Backend; readonly promise: Promise<void> }
  | { readonly kind: 'failed'; readonly settings: Settings; readonly error: Error };

/** The `ready()` option name in errors about the cap. */
const MAX_MEMORY_SETTING = 'maxMemoryBytes, set with ready({ maxMemoryBytes })';
const READY_FIX = '`await ready()` once first (nmf() and nmfBatch() call it themselves)';

let state: State = { kind: 'idle' };
let pool: WasmPool | undefined;

function defaultFits(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof cores === 'number' && Number.isInteger(cores) && cores >= 1 ? Math.min(cores, 1024) : 1;
}

let fits = defaultFits();
const limiter = new Limiter(fits);

function defaultSettings(): Settings {
  return {
    module: undefined,
    // Next to the package's files: dist/runtime-browser.js → wasm/nmfkit.wasm. Bundlers rewrite this form.
    url: new URL('../wasm/nmfkit.wasm', import.meta.url),
    maxMemoryBytes: DEFAULT_MAX_MEMORY_BYTES,
    workers: webWorkersAvailable(),
  };
}

function checkOptions(options: unknown): Partial<Settings> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
  checkKnownKeys('options', options, ['module', 'url', 'maxMemoryBytes', 'workers']);
  const { module, url, maxMemoryBytes, workers } = options as ReadyOptions;
  const checked: { -readonly [K in keyof Settings]?: Settings[K] } = {};
  if (module !== undefined) {
    if (!(module instanceof WebAssembly.Module)) {
      throw new TypeError(`options.module must be a WebAssembly.Module (of nmfkit's wasm/nmfkit.wasm), got ${describe(module)}`);
    }
    if (url !== undefined) throw new TypeError('options.module and options.url exclude each other: give one');
    checked.module = module;
  }
  if (url !== undefined) {
    if (typeof url !== 'string' && !(url instanceof URL)) throw new TypeError(`options.url must be a string or a URL, got ${describe(url)}`);
    try {
      checked.url = new URL(url, (globalThis as { location?: { href: string } }).location?.href);
    } catch (cause) {
      throw new TypeError(`options.url is not a valid URL: ${describe(String(url))}`, { cause });
    }
  }
  if (maxMemoryBytes !== undefined) {
    if (typeof maxMemoryBytes !== 'number') throw new TypeError(`options.maxMemoryBytes must be a number, got ${describe(maxMemoryBytes)}`);
    if (!Number.isInteger(maxMemoryBytes) || maxMemoryBytes < 2 ** 20 || maxMemoryBytes > 2 ** 32) {
      throw new RangeError(`options.maxMemoryBytes must be an integer from 2^20 (1 MiB) to 2^32 (4 GiB), got ${describe(maxMemoryBytes)}`);
    }
    checked.maxMemoryBytes = maxMemoryBytes;
  }
  if (workers !== undefined) {
    if (typeof workers !== 'boolean') throw new TypeError(`options.workers must be a boolean, got ${describe(workers)}`);
    if (workers && !webWorkersAvailable()) throw new RangeError('options.workers is true, but this runtime has no Worker');
    checked.workers = workers;
  }
  return checked;
}

/** The options of `given` that differ from `current`, for the error of a second ready() that tries to change them. */
function conflicts(current: Settings, given: Partial<Settings>): string[] {
  const differing: string[] = [];
  if ('module' in given && given.module !== current.module) differing.push('module');
  if ('url' in given && (current.module !== undefined || given.url!.href !== current.url.href)) differing.push('url');
  if ('maxMemoryBytes' in given && given.maxMemoryBytes !== current.maxMemoryBytes) differing.push('maxMemoryBytes');
  if ('workers' in given && given.workers !== current.workers) differing.push('workers');
  return differing;
}

async function load(settings: Settings): Promise<void> {
  const module = settings.module ?? (await fetchWasmModule(settings.url));
  const backend: Backend = await instantiateWasmBackend(module, {
    maxMemoryBytes: settings.maxMemoryBytes,
    maxMemorySetting: MAX_MEMORY_SETTING,
    createAsyncFit: (problem) => {
      if (settings.workers) {
        pool ??= createWebWorkerPool(module, settings.maxMemoryBytes, MAX_MEMORY_SETTING, () => fits);
        return pool.createAsyncFit(problem);
      }
      return inlineAsyncFit(backend.createFit(problem));
    },
  });
  limiter.setLimit(settings.workers ? fits : 1);
  state = { kind: 'ready', settings, backend, promise: Promise.resolve() };
}

/**
 * Loads the WebAssembly backend: fetches and compiles wasm/nmfkit.wasm (or takes `options.module`) and
 * instantiates it. `nmf()` and `nmfBatch()` call it themselves; `nmfSync()` needs it to have resolved. Calling it
 * again returns the same promise; after a failure (say, the file could not be fetched) a new call tries again.
 * Options apply from the first call on: a later call that gives different ones rejects.
 */
export function ready(options?: ReadyOptions): Promise<void> {
  let given: Partial<Settings>;
  try {
    given = checkOptions(options);
  } catch (error) {
    return Promise.reject(error);
  }
  if (state.kind === 'loading' || state.kind === 'ready') {
    const differing = conflicts(state.settings, given);
    if (differing.length > 0) {
      return Promise.reject(
        new Error(
          `nmfkit: ready() was already called, and its options cannot change once the WebAssembly backend is ` +
            `${state.kind === 'ready' ? 'loaded' : 'loading'} (${differing.join(', ')} differ)`,
        ),
      );
    }
    return state.promise;
  }
  const settings: Settings = { ...defaultSettings(), ...given };
  const promise = load(settings).catch((error: unknown) => {
    const e = error instanceof Error ? error : new Error(String(error));
    state = { kind: 'failed', settings, error: e };
    throw e;
  });
  state = { kind: 'loading', settings, promise };
  return promise;
}

/** Why this entry has no native backend, and what to do about it, for the runtime it finds itself in. */
function nativeUnavailable(): { reason: string; fix: string } {
  const proc = (globalThis as {
    process?: { versions?: Record<string, string | undefined>; execArgv?: string[]; env?: Record<string, string | undefined> };
  }).process;
  if (proc?.versions?.node && !proc.versions['deno'] && !proc.versions['bun']) {
    const noAddons = proc.execArgv?.includes('--no-addons') || /(^|\s)--no-addons(\s|$)/.test(proc.env?.['NODE_OPTIONS'] ?? '');
    if (noAddons) {
      return {
        reason: "loading native addons is disabled in this process (--no-addons), so Node.js resolved nmfkit's WebAssembly-only entry",
        fix: 'Node was started with --no-addons; remove it to use native',
      };
    }
    return {
      reason: "Node.js resolved nmfkit's WebAssembly-only entry (without the node-addons export condition: a bundle, or custom --conditions)",
      fix: "import nmfkit from Node.js with its default conditions: 'node-addons' selects the Node entry, which has the native backend",
    };
  }
  return {
    reason: "native addons cannot run in this runtime, so it uses nmfkit's WebAssembly-only entry",
    fix: 'none needed: the wasm backend computes the same results; the native backend needs Node.js',
  };
}

function wasmState(): { ok: true; backend: Backend; settings: Settings } | { ok: false; reason: string; fix: string } {
  switch (state.kind) {
    case 'ready':
      return { ok: true, backend: state.backend, settings: state.settings };
    case 'failed':
      return {
        ok: false,
        reason: `the WebAssembly backend failed to load: ${state.error.message}`,
        fix: state.settings.module
          ? 'pass a WebAssembly.Module compiled from nmfkit/nmfkit.wasm to ready({ module })'
          : `serve wasm/nmfkit.wasm at ${state.settings.url.href} (or pass its location as ready({ url }), or a compiled module as ready({ module })), in a runtime with WebAssembly SIMD`,
      };
    case 'loading':
      return { ok: false, reason: 'the WebAssembly backend is still loading', fix: `wait for ${READY_FIX}` };
    case 'idle':
      return { ok: false, reason: 'the WebAssembly backend is not loaded yet (this entry loads it lazily)', fix: READY_FIX };
  }
}

function chooseBackend(requested: 'auto' | BackendName): Backend {
  const forced = requested === 'auto' ? environmentChoice() : requested;
  const why = requested === 'auto' ? 'NMFKIT_BACKEND' : 'options.backend';
  if (forced === 'native') throw unavailable('native', nativeUnavailable(), why);
  const wasm = wasmState();
  if (!wasm.ok) {
    throw new Error(`nmfkit: ${wasm.reason}. Fix: ${wasm.fix}`, {
      cause: { reason: wasm.reason, fix: wasm.fix },
    });
  }
  return wasm.backend;
}

function mode(): 'web-worker' | 'inline' {
  return state.kind === 'idle' ? (defaultSettings().workers ? 'web-worker' : 'inline') : state.settings.workers ? 'web-worker' : 'inline';
}

/** Which backend runs fits here (always wasm), whether it has loaded, and how async fits run. */
export function backendInfo(): WasmOnlyBackendInfo {
  const forced = environmentChoice();
  const wasm = wasmState();
  const details = wasm.ok ? wasm.backend.details() : undefined;
  return {
    entry: 'wasm-only',
    backend: forced ?? 'wasm',
    chosenBy: forced ? 'NMFKIT_BACKEND' : 'auto',
    native: { loaded: false, ...nativeUnavailable() },
    wasm: wasm.ok
      ? {
          loaded: true,
          simd: details!.simd ?? true,
          memoryBytes: details!.memoryBytes ?? 0,
          maxMemoryBytes: details!.maxMemoryBytes ?? wasm.settings.maxMemoryBytes,
          ...(wasm.settings.module ? { source: 'module' as const } : { source: 'url' as const, url: wasm.settings.url.href }),
        }
      : { loaded: false, reason: wasm.reason, fix: wasm.fix },
    threads: { fits, mode: mode() },
  };
}

/**
 * Sets how many fits run at once in Web Workers (a number, or `{ fits }`); running fits keep going, waiting ones
 * start as slots free up. Inline fits (no Worker, or `ready({ workers: false })`) run one at a time regardless.
 */
export function setThreads(settings: number | { readonly fits?: number }): WasmThreadSettings {
  let next = fits;
  if (typeof settings === 'number') {
    next = checkCount('threads', settings);
  } else if (settings !== null && typeof settings === 'object') {
    checkKnownKeys('threads', settings, ['fits']);
    if (settings.fits !== undefined) next = checkCount('threads.fits', settings.fits);
  } else {
    throw new TypeError(`threads must be a number or { fits }, got ${describe(settings)}`);
  }
  if (next > 1024) throw new RangeError(`threads.fits must be at most 1024, got ${next}`);
  fits = next;
  if (mode() === 'web-worker') limiter.setLimit(fits);
  return { fits };
}

export const browserRuntime: Runtime = {
  chooseBackend,
  scheduled: (_backend, task, signal) => limiter.run(task, signal),
  beforeSync: () => {},
  concurrency: () => (mode() === 'web-worker' ? fits : 1),
  prepare: () => ready(),
};
