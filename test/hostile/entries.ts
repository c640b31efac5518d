/**
 * The two entries the hostile-input suites of the fit functions run against, with the same cases: the Node entry
 * (src/index.ts, native and wasm) and the WebAssembly-only entry as built (dist/browser.js, which `npm test`
 * builds first), given a module compiled here — `ready({ module })`, as a workerd app would — so that it runs in
 * Node. Each file that imports this gets its own instances of both (vitest isolates test files).
 */
import { readFileSync } from 'node:fs';
import type * as WasmOnlyEntry from '../../src/browser.js';
import { compileWasmModule } from '../../src/backends/wasm.js';
import * as nodeEntry from '../../src/index.js';
import { OPTION_NAMES as NMF_OPTION_NAMES } from '../../src/options.js';
import { FIT_SPEC_FIELDS, type SpecField } from '../../src/spec.js';
import type { BackendName } from '../../src/types.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

type Fn = (...args: never[]) => unknown;

export interface Entry {
  readonly name: 'node' | 'wasm-only';
  readonly nmfSync: typeof nodeEntry.nmfSync;
  readonly nmf: typeof nodeEntry.nmf;
  readonly nmfBatch: typeof nodeEntry.nmfBatch;
  readonly NMF: typeof nodeEntry.NMF;
  readonly nmfStream: typeof nodeEntry.nmfStream;
  readonly estimateRank: typeof nodeEntry.estimateRank;
  readonly ready: (options?: unknown) => Promise<void>;
  readonly setThreads: (settings: never) => { readonly fits: number };
  readonly backendInfo: () => {
    readonly backend: BackendName;
    readonly native: { loaded: boolean };
    readonly wasm: { loaded: boolean };
    readonly threads: object;
  };
  /** The backends this entry has (not all of which need have loaded: see {@link available}). */
  readonly backends: readonly BackendName[];
  /** Whether `backend` loaded (the Node entry: fails under NMFKIT_REQUIRE_ALL_BACKENDS=1 if not, test/support/helpers.ts). */
  available(backend: BackendName): boolean;
  /** The keys `setThreads` takes. */
  readonly threadKeys: readonly ('fits' | 'blasThreads')[];
  /** Every export of the entry. */
  readonly exports: Readonly<Record<string, unknown>>;
}

const wasmOnlyEntry = (await import(new URL('../../dist/browser.js', import.meta.url).href)) as typeof WasmOnlyEntry;
await wasmOnlyEntry.ready({ module: compileWasmModule(readFileSync(new URL('../../wasm/nmfkit.wasm', import.meta.url))) });

export const ENTRIES: readonly Entry[] = [
  {
    name: 'node',
    ...nodeEntry,
    ready: nodeEntry.ready as (options?: unknown) => Promise<void>,
    setThreads: nodeEntry.setThreads as Fn as Entry['setThreads'],
    backends: BACKENDS,
    available: backendAvailable,
    threadKeys: ['fits', 'blasThreads'],
    exports: nodeEntry,
  },
  {
    name: 'wasm-only',
    nmfSync: wasmOnlyEntry.nmfSync,
    nmf: wasmOnlyEntry.nmf,
    nmfBatch: wasmOnlyEntry.nmfBatch,
    NMF: wasmOnlyEntry.NMF,
    nmfStream: wasmOnlyEntry.nmfStream,
    estimateRank: wasmOnlyEntry.estimateRank,
    ready: wasmOnlyEntry.ready as (options?: unknown) => Promise<void>,
    setThreads: wasmOnlyEntry.setThreads as Fn as Entry['setThreads'],
    backendInfo: wasmOnlyEntry.backendInfo,
    backends: ['wasm'],
    available: (backend) => backend === 'wasm' && wasmOnlyEntry.backendInfo().wasm.loaded,
    threadKeys: ['fits'],
    exports: wasmOnlyEntry,
  },
];

/** The core exports: the fit functions and the entry's settings. */
export const CORE = new Set(['nmf', 'nmfSync', 'nmfBatch', 'backendInfo', 'setThreads', 'ready']);

export const V = { rows: 2, cols: 3, data: [1, 2, 3, 4, 5, 6] };
export const OPTIONS = { rank: 2, maxIter: 3, seed: 1 };

/** The option names of nmf/nmfSync (NmfOptions), from the facade itself so that a new option is covered at once. */
export const OPTION_NAMES: readonly string[] = NMF_OPTION_NAMES;
/** Options for which `true` (in JUNK) is a valid value: the boolean options of the specification table. */
export const BOOLEAN_OPTIONS = new Set(
  (FIT_SPEC_FIELDS as readonly SpecField[]).filter((f) => f.option?.constraint.kind === 'boolean').map((f) => f.name),
);
